"""The leads API (LEAD-CAP-2): capture, read, search, verify, merge — through HTTP."""

import pytest

from leadflow.leads.models import Channel, Lead, LeadMerge

pytestmark = pytest.mark.django_db

BODY = {
    "name": "上海某某科技有限公司",
    "contact_name": "王小明",
    "mobile": "+86 138-0013-8000",
    "email": "wang@example.cn",
    "industry": "制造业",
    "need": "采购设备",
    "channel": "G",
    "channel_detail": "官网-产品页",
    "consent": {"notice_version": "privacy-2026-01", "channel": "官网"},
}


@pytest.fixture
def marketer(make_user):
    return make_user("marketing", username="zhao")


def post(api, body):
    return api.post("/api/v1/leads", body, content_type="application/json")


def test_create_answers_201_with_the_lead(marketer, api_for):
    # SPEC: LEAD-CAP-2, LEAD-CAP-4, LEAD-SCR-1 (scored at once: target industry 制造业 +20)
    response = post(api_for(marketer), BODY)
    assert response.status_code == 201
    lead = response.json()
    assert lead["number"].startswith("G")
    assert len(lead["number"]) == 12
    assert (lead["status"], lead["score"], lead["grade"], lead["owner"]) == (
        "to_assign",
        20,
        "B",
        None,
    )
    assert (lead["mobile"], lead["merged"]) == ("+8613800138000", False)
    assert lead["timeline"][0]["kind"] == "captured"


def test_duplicate_answers_200_with_the_surviving_lead(marketer, api_for):
    # SPEC: LEAD-CLN-2
    api = api_for(marketer)
    first = post(api, BODY).json()
    second = post(api, {**BODY, "mobile": "0086 13800138000", "email": "", "need": "更换设备"})
    assert second.status_code == 200
    body = second.json()
    assert (body["id"], body["merged"], body["need"]) == (first["id"], True, "更换设备")
    assert body["capture_number"] != first["number"]
    assert [entry["kind"] for entry in body["timeline"]] == ["captured", "captured", "merged"]


def test_bad_fields_are_422_with_field_value_and_reason(marketer, api_for):
    # SPEC: LEAD-CLN-1, SEC-5
    response = post(api_for(marketer), {**BODY, "mobile": "12345", "email": "x@"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["mobile"] == "'12345': 不是有效的中国大陆手机或座机号码"
    assert error["fields"]["email"].startswith("'x@': ")
    assert not Lead.objects.exists()


def test_missing_consent_is_refused(marketer, api_for):
    # SPEC: LEAD-CAP-5
    response = post(api_for(marketer), {k: v for k, v in BODY.items() if k != "consent"})
    assert response.status_code == 422
    assert "consent" in response.json()["error"]["fields"]
    assert not Lead.objects.exists()


def test_missing_required_field_is_named(marketer, api_for):
    response = post(api_for(marketer), {k: v for k, v in BODY.items() if k != "industry"})
    assert response.status_code == 422
    assert "industry" in response.json()["error"]["fields"]


def test_a_body_that_is_not_an_object_is_refused_by_name(marketer, api_for):
    # SPEC: SEC-5 — field, value and reason; nothing stored
    api = api_for(marketer)
    assert post(api, [1]).json()["error"]["fields"] == {"request": "应为 JSON 对象"}
    consent = post(api, {**BODY, "consent": "yes"}).json()["error"]["fields"]
    assert consent == {"consent": "应为 JSON 对象"}
    employees = post(api, {**BODY, "employees": "many"}).json()["error"]["fields"]
    assert list(employees) == ["employees"]
    assert not Lead.objects.exists()


def test_a_rep_sees_only_own_leads(org, marketer, make_user, api_for):
    # SPEC: SEC-1
    api = api_for(marketer)
    lead_id = post(api, BODY).json()["id"]
    rep = make_user("sales_rep", username="li", team=org.east)
    rep_api = api_for(rep)
    assert rep_api.get("/api/v1/leads").json()["items"] == []
    assert rep_api.get(f"/api/v1/leads/{lead_id}").status_code == 404
    Lead.objects.filter(pk=lead_id).update(owner=rep)
    assert [item["id"] for item in rep_api.get("/api/v1/leads").json()["items"]] == [lead_id]
    assert rep_api.get(f"/api/v1/leads/{lead_id}").json()["owner"]["id"] == rep.pk


def test_list_search_filters_and_cursor(marketer, api_for):
    api = api_for(marketer)
    for index in range(5):
        post(
            api,
            {
                **BODY,
                "name": f"公司{index}有限公司",
                "mobile": f"1390000000{index}",
                "email": f"p{index}@example.cn",
            },
        )
    page = api.get("/api/v1/leads", {"limit": 3}).json()
    assert len(page["items"]) == 3
    rest = api.get("/api/v1/leads", {"limit": 3, "cursor": page["next_cursor"]}).json()
    assert len(rest["items"]) == 2
    assert rest["next_cursor"] is None
    assert [
        i["email"] for i in api.get("/api/v1/leads", {"q": "139 0000 0002"}).json()["items"]
    ] == ["p2@example.cn"]
    assert [
        i["email"] for i in api.get("/api/v1/leads", {"q": "P3@Example.cn"}).json()["items"]
    ] == ["p3@example.cn"]
    number = page["items"][0]["number"]
    assert [i["number"] for i in api.get("/api/v1/leads", {"q": number}).json()["items"]] == [
        number
    ]
    assert len(api.get("/api/v1/leads", {"q": "公司1"}).json()["items"]) == 1
    assert len(api.get("/api/v1/leads", {"channel": "Z"}).json()["items"]) == 0


def test_verify_needs_the_right(marketer, make_user, api_for):
    # SPEC: LEAD-CLN-4
    Channel.objects.filter(code="Z").update(requires_verification=True)
    lead = post(api_for(marketer), {**BODY, "channel": "Z"}).json()
    assert lead["status"] == "to_verify"
    assert api_for(marketer).post(f"/api/v1/leads/{lead['id']}/verify").status_code == 403
    support = make_user("sales_support", username="sun")
    verified = api_for(support).post(f"/api/v1/leads/{lead['id']}/verify")
    assert verified.json()["status"] == "to_assign"


def test_admin_merges_and_undoes(marketer, admin_user, api_for):
    api = api_for(marketer)
    a = post(api, BODY).json()
    b = post(
        api, {**BODY, "name": "别的公司", "mobile": "13900139000", "email": "b@example.cn"}
    ).json()
    assert (
        api.post(
            f"/api/v1/leads/{b['id']}/merge", {"into": a["id"]}, content_type="application/json"
        ).status_code
        == 403
    )
    admin = api_for(admin_user)
    merge = admin.post(
        f"/api/v1/leads/{b['id']}/merge", {"into": a["id"]}, content_type="application/json"
    ).json()
    assert (merge["survivor"], merge["merged"]) == (a["number"], b["number"])
    assert admin.get(f"/api/v1/leads/{b['id']}").json()["merged_into"] == a["number"]
    for side in (a, b):  # the merge is listed from both leads
        assert [m["id"] for m in admin.get(f"/api/v1/leads/{side['id']}/merges").json()] == [
            merge["id"]
        ]
    restored = admin.post(f"/api/v1/lead-merges/{merge['id']}/undo").json()
    assert (restored["id"], restored["status"], restored["merged_into"]) == (
        b["id"],
        "to_assign",
        None,
    )
    assert LeadMerge.objects.get().undone_at is not None


def test_openapi_documents_the_lead_fields(client):
    schema = client.get("/api/v1/openapi.json").json()
    lead_in = schema["components"]["schemas"]["LeadIn"]["properties"]
    assert {"name", "mobile", "email", "industry", "need", "channel", "consent"} <= set(lead_in)
    assert "/api/v1/leads/{lead_id}" in schema["paths"]


def test_an_event_posted_re_scores_the_lead_and_shows_the_breakdown(marketer, api_for):
    # SPEC: LEAD-SCR-4 — POST /leads/{id}/events re-scores at once.
    api = api_for(marketer)
    lead = post(api, BODY).json()
    assert lead["score_breakdown"] == [
        {"rule": "目标行业", "dimension": "fit", "points": 20, "times": 1}
    ]
    response = api.post(
        f"/api/v1/leads/{lead['id']}/events",
        {"kind": "downloaded_material", "data": {"file": "白皮书.pdf"}},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["score"], body["grade"], body["priority"]) == (30, "A", "high")
    assert [part["rule"] for part in body["score_breakdown"]] == ["下载核心资料", "目标行业"]
    assert [entry["kind"] for entry in body["timeline"]][-2:] == ["downloaded_material", "scored"]

    refused = api.post(
        f"/api/v1/leads/{lead['id']}/events", {"kind": "nope"}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert "kind" in refused.json()["error"]["fields"]


def test_setting_a_priority_needs_the_permission_and_a_reason(marketer, make_user, api_for):
    # SPEC: LEAD-SCR-3
    lead = post(api_for(marketer), BODY).json()
    url = f"/api/v1/leads/{lead['id']}/priority"
    support = make_user("sales_support")  # sees every lead, may not set priorities
    denied = api_for(support).post(
        url, {"priority": "high", "reason": "x"}, content_type="application/json"
    )
    assert denied.status_code == 403
    api = api_for(marketer)
    missing = api.post(url, {"priority": "high"}, content_type="application/json")
    assert missing.status_code == 422
    assert missing.json()["error"]["fields"] == {"reason": "设置优先级时必填"}
    done = api.post(
        url, {"priority": "high", "reason": "客户指定"}, content_type="application/json"
    )
    assert (done.json()["priority"], done.json()["priority_reason"]) == ("high", "客户指定")
