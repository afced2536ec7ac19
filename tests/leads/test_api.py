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
    # SPEC: LEAD-CAP-2, LEAD-CAP-4
    response = post(api_for(marketer), BODY)
    assert response.status_code == 201
    lead = response.json()
    assert lead["number"].startswith("G")
    assert len(lead["number"]) == 12
    assert (lead["status"], lead["score"], lead["grade"], lead["owner"]) == (
        "to_assign",
        0,
        "",
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
    assert error["fields"]["mobile"] == "'12345': not a valid mainland mobile or landline number"
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
