"""Every view of personal data, every change of a lead, customer or contact, every import
and every public-form capture leaves an audit entry with who, when and what; the audit
page reads them as sentences (SEC-3)."""

import json

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.html import escape

from leadflow.core.audit import audit_sentence
from leadflow.core.models import AuditLog
from leadflow.customers.models import Customer
from leadflow.customers.profiles import contact_add, customer_update
from leadflow.leads.demo import demo_leads_create
from leadflow.leads.followup import followup_record
from leadflow.leads.stages import lead_stage_set
from tests.leads.conftest import accepted_lead
from tests.leads.test_conversion import win
from tests.leads.test_import import write_csv
from tests.leads.test_web import FORM_DATA

pytestmark = pytest.mark.django_db


def _actions(user=None) -> list[str]:
    entries = AuditLog.objects.order_by("id")
    if user is not None:
        entries = entries.filter(actor=user)
    return list(entries.values_list("action", flat=True))


def test_viewing_a_leads_personal_data_is_audited_in_the_api_and_the_ui(
    capture, rep, api_for, client_for
):
    # SPEC: SEC-3
    lead = accepted_lead(capture, rep)
    api_for(rep).get(f"/api/v1/leads/{lead.pk}")
    client_for(rep).get(f"/leads/{lead.pk}/")
    api_for(rep).get("/api/v1/leads")
    client_for(rep).get("/leads/")
    views = AuditLog.objects.filter(actor=rep, action__in=["lead.view", "lead.list_view"]).order_by(
        "id"
    )
    assert [(entry.action, entry.object_id or entry.extra.get("rows")) for entry in views] == [
        ("lead.view", str(lead.pk)),
        ("lead.view", str(lead.pk)),
        ("lead.list_view", 1),
        ("lead.list_view", 1),
    ]


def test_changes_of_a_lead_are_audited(capture, rep):
    # SPEC: SEC-3 — accept, follow-up and stage left no audit entry
    lead = accepted_lead(capture, rep)
    followup_record(
        lead=lead, by=rep, contact_at=timezone.now(), method="phone", feedback="在比较方案"
    )
    lead.refresh_from_db()
    lead_stage_set(lead=lead, stage="needs", fact="客户确认预算", by=rep)
    assert _actions(rep) == ["lead.accepted", "lead.followed_up", "lead.stage"]
    stage = AuditLog.objects.get(action="lead.stage")
    assert (stage.object_id, stage.extra["to"]) == (str(lead.pk), "needs")


def test_customer_views_and_changes_are_audited_without_the_personal_values(
    capture, rep, api_for, make_user
):
    # SPEC: SEC-3, SEC-2
    win(accepted_lead(capture, rep), rep)
    customer = Customer.objects.get()
    customer_update(customer=customer, changes={"address": "上海市浦东新区张江路88号"}, by=rep)
    contact_add(customer=customer, values={"name": "钱经理", "mobile": "13900139001"}, by=rep)
    api_for(rep).get(f"/api/v1/customers/{customer.pk}")
    api_for(make_user("marketing")).get(f"/api/v1/customers/{customer.pk}")  # masked: no view
    assert [a for a in _actions(rep) if a.startswith("customer.")] == [
        "customer.created",
        "customer.changed",
        "customer.contact_added",
        "customer.view",
    ]
    changed = AuditLog.objects.get(action="customer.changed")
    assert changed.extra["fields"] == ["address"]
    assert "张江路" not in json.dumps(changed.extra, ensure_ascii=False)
    assert AuditLog.objects.filter(action="customer.view").count() == 1


def test_command_line_imports_and_public_form_captures_are_audited(tmp_path, client):
    # SPEC: SEC-3 — neither left an entry: there was no signed-in user
    call_command("import", "leads", str(write_csv(tmp_path / "leads.csv")), "--basis", "合同履行")
    imported = AuditLog.objects.get(action="lead.import")
    assert imported.actor is None
    assert imported.actor_name in ("command line", "命令行")
    assert imported.extra["created"] == 3
    demo_leads_create()
    client.post(
        "/f/demo",
        FORM_DATA,
        REMOTE_ADDR="203.0.113.9",
    )
    captured = AuditLog.objects.filter(action="lead.create").latest("id")
    assert (captured.actor_name, captured.ip, captured.extra["via"]) == (
        "form",
        "203.0.113.9",
        "form",
    )


def test_the_audit_page_reads_as_sentences(capture, rep, admin_user, client_for):
    # SPEC: SEC-3
    lead = accepted_lead(capture, rep)
    page = client_for(admin_user).get("/admin/audit/?action=lead.accepted").content.decode()
    entry = AuditLog.objects.get(action="lead.accepted")
    with translation.override("zh-hans"):
        sentence = audit_sentence(entry)
    assert sentence.startswith(f"{rep.username}：接受了线索 {lead.number}")
    assert escape(sentence) in page
