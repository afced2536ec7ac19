"""The public web form and the lead pages (LEAD-CAP-2): same capture path as the API."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leadflow.core.company_settings import settings_update
from leadflow.leads.demo import demo_leads_create
from leadflow.leads.models import (
    ImportBatch,
    Lead,
    LeadAssignment,
    LeadMerge,
    LeadStatus,
    ScoreRule,
    WebForm,
)
from tests.leads.conftest import accepted_lead
from tests.leads.test_import import HEADER, ROWS

pytestmark = pytest.mark.django_db

FORM_DATA = {
    "name": "深圳某某电子有限公司",
    "contact_name": "陈先生",
    "mobile": "13912345678",
    "email": "chen@example.cn",
    "industry": "电子",
    "need": "想了解报价",
    "consent": "on",
}


@pytest.fixture
def webform(db):
    demo_leads_create()
    return WebForm.objects.get(key="demo")


def test_form_page_is_embeddable_and_shows_the_notice(client, webform):
    response = client.get("/f/demo")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    page = response.content.decode()
    assert webform.consent_text in page
    assert 'name="website"' in page  # the honeypot


def test_form_post_captures_through_the_same_path(client, webform):
    # SPEC: LEAD-CAP-2, LEAD-CAP-5
    response = client.post("/f/demo", FORM_DATA)
    assert response.status_code == 200
    assert webform.thank_you in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.channel.code, lead.channel_detail, lead.captured_via) == (
        "G",
        "官网-产品页",
        "form",
    )
    assert (lead.consent_notice_version, lead.consent_channel) == (
        "privacy-2026-01",
        "web form demo",
    )
    assert lead.mobile == "+8613912345678"


def test_form_accepts_json_and_answers_json(client, webform):
    response = client.post(
        "/f/demo", FORM_DATA, content_type="application/json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 201
    assert response.json()["ok"] is True
    bad = client.post(
        "/f/demo",
        {**FORM_DATA, "mobile": "123", "email": ""},
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"]["mobile"].startswith("'123': ")


def test_form_without_consent_saves_nothing(client, webform):
    # SPEC: LEAD-CAP-5
    response = client.post("/f/demo", {**FORM_DATA, "consent": ""})
    assert response.status_code == 422
    assert not Lead.objects.exists()


def test_honeypot_thanks_the_bot_and_saves_nothing(client, webform):
    response = client.post("/f/demo", {**FORM_DATA, "website": "http://spam.example"})
    assert response.status_code == 200
    assert not Lead.objects.exists()


def test_form_is_rate_limited_per_address(client, webform):
    # SPEC: SEC-5
    WebForm.objects.filter(pk=webform.pk).update(rate_per_hour=2)
    for index in range(2):
        client.post(
            "/f/demo",
            {**FORM_DATA, "mobile": f"1391234567{index}", "email": f"r{index}@example.cn"},
            REMOTE_ADDR="198.51.100.7",
        )
    blocked = client.post(
        "/f/demo",
        {**FORM_DATA, "mobile": "13912345679", "email": "r9@example.cn"},
        REMOTE_ADDR="198.51.100.7",
    )
    assert blocked.status_code == 429
    assert Lead.objects.count() == 2
    other = client.post(
        "/f/demo",
        {**FORM_DATA, "mobile": "13912345679", "email": "r9@example.cn"},
        REMOTE_ADDR="198.51.100.8",
    )
    assert other.status_code == 200


def test_unknown_or_disabled_form_is_404(client, webform):
    assert client.get("/f/nope").status_code == 404
    WebForm.objects.filter(pk=webform.pk).update(active=False)
    assert client.post("/f/demo", FORM_DATA).status_code == 404


def test_staff_enter_a_lead_in_the_ui(make_user, client_for):
    # SPEC: LEAD-CAP-2 — manual entry; consent is confirmed by the person entering it.
    client = client_for(make_user("marketing"))
    form = {
        "name": "杭州某某科技有限公司",
        "mobile": "13812345678",
        "industry": "互联网",
        "need": "SaaS 试用",
        "channel": "D",
        "channel_detail": "电话营销-外呼",
    }
    refused = client.post("/leads/new/", form)
    assert refused.status_code == 200
    assert "consent_given" in refused.context["form"].errors
    response = client.post(
        "/leads/new/", {**form, "consent_given": "on", "consent_channel": "电话中口头同意"}
    )
    lead = Lead.objects.get()
    assert response.url == f"/leads/{lead.pk}/"
    assert (lead.captured_via, lead.consent_channel) == ("ui", "电话中口头同意")
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert lead.number in page


def test_list_page_searches_and_exports_within_scope(org, make_user, client_for, capture):
    rep = make_user("sales_rep", team=org.east)
    mine = capture(name="我的客户有限公司", mobile="13700137000", email="m@example.cn").lead
    capture(name="别人的客户有限公司", mobile="13600136000", email="o@example.cn")
    Lead.objects.filter(pk=mine.pk).update(owner=rep)
    from leadflow.accounts.models import Role

    Role.objects.filter(code="sales_rep").update(permissions=["data.export", "leads.create"])
    client = client_for(rep)
    page = client.get("/leads/").content.decode()
    assert "我的客户有限公司" in page
    assert "别人的客户有限公司" not in page
    csv_text = client.get("/leads/?export=csv").content.decode("utf-8-sig")
    assert "我的客户有限公司" in csv_text
    assert "别人的客户有限公司" not in csv_text
    assert client.get(f"/leads/?q={mine.number}").status_code == 200


def test_merge_screen_undoes_a_merge(admin_user, client_for, capture):
    capture()
    duplicate = capture(email="new@example.cn").capture
    merge = LeadMerge.objects.get(merged=duplicate)
    client = client_for(admin_user)
    assert merge.merged.number in client.get("/leads/merges/").content.decode()
    client.post(f"/leads/merges/{merge.pk}/undo/")
    duplicate.refresh_from_db()
    assert duplicate.status == LeadStatus.TO_ASSIGN


def test_upload_import_runs_in_the_background_with_progress(make_user, client_for, run_tasks):
    # SPEC: LEAD-CAP-2 — upload, progress, error report.
    user = make_user("marketing")
    client = client_for(user)
    text = io.StringIO()
    import csv

    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(ROWS)
    upload = SimpleUploadedFile(
        "展会名单.csv", text.getvalue().encode("utf-8-sig"), content_type="text/csv"
    )
    response = client.post("/leads/import/", {"file": upload, "basis": "展会登记时书面同意"})
    batch = ImportBatch.objects.get()
    assert response.url == f"/leads/import/{batch.pk}/"
    assert (batch.state, batch.rows_total) == ("queued", 5)
    progress = client.get(f"/leads/import/{batch.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in progress
    run_tasks()
    batch.refresh_from_db()
    assert (batch.state, batch.created, batch.merged, batch.rejected) == ("done", 3, 1, 1)
    report = client.get(f"/leads/import/{batch.pk}/errors/?format=csv").content.decode("utf-8-sig")
    assert report.splitlines()[0] == "行号,字段,原因,原始数据"
    assert "3,mobile," in report
    assert "手机=12345" in report  # the row as it was sent, to correct and send again
    assert Lead.objects.filter(import_batch=batch).count() == 4


def test_template_download(client_for, make_user):
    response = client_for(make_user("marketing")).get("/leads/import/template.csv")
    assert response.content.decode("utf-8-sig").startswith("客户名称,联系人")


def test_merge_screen_merges_by_number(admin_user, client_for, capture):
    keep = capture().lead
    other = capture(name="别的公司", mobile="13900139000", email="b@example.cn").lead
    client = client_for(admin_user)
    unknown = client.post("/leads/merges/", {"merged": "X20990101001", "survivor": keep.number})
    assert unknown.status_code == 200
    assert not LeadMerge.objects.exists()
    client.post("/leads/merges/", {"merged": other.number.lower(), "survivor": f" {keep.number} "})
    other.refresh_from_db()
    assert (other.status, other.merged_into_id) == (LeadStatus.MERGED, keep.pk)


def test_the_lead_page_explains_the_score_and_records_activity(make_user, client_for, capture):
    # SPEC: LEAD-SCR-3, LEAD-SCR-4 — breakdown on the page; an event re-scores at once.
    lead = capture(industry="制造业").lead
    client = client_for(make_user("marketing"))
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "目标行业" in page
    assert 'name="kind"' in page

    client.post(f"/leads/{lead.pk}/events/", {"kind": "consulted_sales"})
    lead.refresh_from_db()
    assert (lead.score, lead.grade) == (40, "A")
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "咨询销售代表" in page  # the rule, in the breakdown and the timeline

    refused = client.post(f"/leads/{lead.pk}/priority/", {"priority": "low"}, follow=True)
    assert "设置优先级时必填" in refused.content.decode()
    lead.refresh_from_db()
    assert lead.priority == "high"  # unchanged


def test_the_score_rules_page_previews_and_saves(make_user, client_for, capture):
    # SPEC: LEAD-SCR-1 — editable by an administrator, with a preview of grade moves.
    capture(industry="制造业")
    client = client_for(make_user("marketing"))
    rule = ScoreRule.objects.get(name="目标行业")
    page = client.get("/leads/scoring/").content.decode()
    assert "目标行业" in page
    form = {
        "rule_id": rule.pk,
        "name": rule.name,
        "dimension": "fit",
        "points": 30,
        "field": "industry",
        "operator": "one_of",
        "value": rule.value,
        "event": "",
        "min_count": 1,
        "active": "on",
    }
    preview = client.post("/leads/scoring/", {**form, "preview": "1"}).content.decode()
    assert "B→A: 1" in preview
    rule.refresh_from_db()
    assert rule.points == 20
    saved = client.post("/leads/scoring/", {**form, "save": "1"})
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert rule.points == 30
    assert client_for(make_user()).get("/leads/scoring/").status_code == 403


@pytest.mark.parametrize("keeps", [True, False])
def test_a_rep_who_enters_a_lead_owns_it(rep, admin_user, client_for, keeps):
    # SPEC: LEAD-ASN-1 (#25 自拓) — a self-sourced lead stays with the rep who found it,
    # accepted at once; the setting turns that off and the rules assign it instead.
    settings_update(changes={"assign.self_sourced": keeps}, by=admin_user)
    form = {
        "name": "苏州自拓科技有限公司",
        "mobile": "13812345600",
        "industry": "制造业",
        "need": "产线改造",
        "channel": "D",
        "consent_given": "on",
        "consent_channel": "拜访时口头同意",
    }
    response = client_for(rep).post("/leads/new/", form)
    lead = Lead.objects.get()
    if keeps:
        assert (lead.owner, lead.status) == (rep, LeadStatus.ACCEPTED)
        assert lead.next_due_at is not None  # the first-contact clock runs
        assert LeadAssignment.objects.get(lead=lead).kind == LeadAssignment.Kind.SELF
        assert client_for(rep).get(response.url).status_code == 200
    else:
        assert lead.owner is None
        assert lead.status == LeadStatus.TO_ASSIGN


def test_a_refused_stage_change_keeps_what_was_typed_beside_the_field(capture, rep, client_for):
    # SPEC: LEAD-STS-2 (#25 item 6) — the page comes back on its tab, the fact kept, the
    # reason next to the amount; 无效's reason is picked from a list, never typed as a code
    lead = accepted_lead(capture, rep)
    client = client_for(rep)
    response = client.post(
        f"/leads/{lead.pk}/stage/", {"stage": "won", "fact": "口头确认下单", "deal_date": ""}
    )
    assert response.status_code == 422
    form = response.context["stage_form"]
    assert set(form.errors) >= {"deal_amount", "deal_date"}
    assert response.context["tab"] == "followups"
    page = response.content.decode()
    assert "口头确认下单" in page
    assert "“成交”需要金额，且大于零" in page
    lead.refresh_from_db()
    assert lead.stage == "initial"

    client.post(
        f"/leads/{lead.pk}/stage/",
        {"stage": "invalid", "fact": "客户说不再需要", "invalid_reason": "gave_up"},
    )
    lead.refresh_from_db()
    assert (lead.stage, lead.stage_reason) == ("invalid", "gave_up")
    assert '<option value="gave_up">客户放弃</option>' in page
