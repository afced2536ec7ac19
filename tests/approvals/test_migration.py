"""The two request kinds that had their own tables move onto the engine with their
history: nothing is lost, and the reverse writes them back (LEAD-ASN-6, SEC-4)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("leads", "0025_encrypt_personal_data"), ("customers", "0013_seal_event_history")]
AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets or executor.loader.graph.leaf_nodes()).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_old_requests_become_approval_requests_with_their_decisions(make_user):
    # SPEC: LEAD-ASN-6, SEC-4 — their data migrated, nothing lost
    rep, other = make_user(display_name="李明"), make_user(display_name="张伟")
    marketing, manager = make_user("marketing"), make_user("sales_manager")
    apps = _migrate(BEFORE)
    Lead = apps.get_model("leads", "Lead")
    lead = Lead.objects.create(
        number="G20260302001",
        name="甲公司",
        kind="company",
        industry="制造业",
        need="采购设备",
        channel_id=apps.get_model("leads", "Channel").objects.get(code="G").pk,
        acquired_at=AT,
        values_at=AT,
        lawful_basis="consent",
        captured_via="api",
        created_at=AT,
        updated_at=AT,
        owner_id=rep.pk,
        status="accepted",
    )
    ReassignRequest = apps.get_model("leads", "ReassignRequest")
    ReassignRequest.objects.create(lead=lead, rep_id=rep.pk, reason="客户在北京", at=AT)
    ReassignRequest.objects.create(
        lead=lead,
        rep_id=rep.pk,
        reason="客户要求换人",
        at=AT - timedelta(days=3),
        state="rejected",
        decided_by_id=marketing.pk,
        decided_at=AT - timedelta(days=2),
        decision_note="请继续跟进",
    )
    Customer = apps.get_model("customers", "Customer")
    customer = Customer.objects.create(
        kind="company",
        name="某某精工有限公司",
        category="closed",
        owner_id=other.pk,
        created_at=AT,
        updated_at=AT,
    )
    share = apps.get_model("customers", "Share").objects.create(
        customer=customer,
        shared_with_id=rep.pk,
        rights="view",
        reason="访问申请",
        until=AT + timedelta(days=7),
        shared_by_id=manager.pk,
        at=AT,
    )
    apps.get_model("customers", "AccessRequest").objects.create(
        customer=customer,
        requester_id=rep.pk,
        reason="客户来电找我",
        at=AT,
        state="approved",
        decided_by_id=manager.pk,
        decided_at=AT + timedelta(hours=1),
        share=share,
    )

    apps = _migrate(None)
    Request = apps.get_model("approvals", "ApprovalRequest")
    pending = Request.objects.get(kind="lead_reassign", state="pending")
    assert (pending.subject_id, pending.requester_id, pending.reason) == (
        lead.pk,
        rep.pk,
        "客户在北京",
    )
    assert pending.snapshot["lead"] == "G20260302001"
    assert set(pending.tasks.values_list("approver_id", "state")) >= {(marketing.pk, "waiting")}
    rejected = Request.objects.get(kind="lead_reassign", state="rejected")
    decision = rejected.tasks.get()
    assert (decision.decided_by_id, decision.comment) == (marketing.pk, "请继续跟进")
    assert list(rejected.events.values_list("kind", flat=True)) == ["submitted", "rejected"]
    access = Request.objects.get(kind="customer_access")
    assert (access.state, access.outcome["share_id"]) == ("approved", share.pk)
    assert access.tasks.get().decided_by_id == manager.pk

    apps = _migrate(BEFORE)  # and back: the rows return to their own tables
    assert apps.get_model("leads", "ReassignRequest").objects.count() == 2
    back = apps.get_model("customers", "AccessRequest").objects.get()
    assert (back.state, back.share_id, back.decided_by_id) == ("approved", share.pk, manager.pk)
    _migrate(None)
