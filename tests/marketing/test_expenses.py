"""Budgets and expense claims (MKT-6): versions approved by management, claims approved by
their flow with the budget left in view, an overspend needing the extra step, alerts at
80 % and 100 % told once even when two approvals land together, receipts checked and
kept private, and a rep seeing only their own claims."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leadflow.approvals.engine import approval_decide
from leadflow.approvals.models import ApprovalTask
from leadflow.core.company_settings import settings_update
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.marketing.budgets import LineIn, budget_draft, budget_in_force, budget_submit
from leadflow.marketing.expenses import claim_reimburse, claim_request, claim_submit
from leadflow.marketing.models import Budget, BudgetAlert, ExpenseCategory, ExpenseClaim
from leadflow.marketing.receipts import stored_path
from leadflow.notify.models import Notification
from tests.approvals.conftest import all_at_once
from tests.marketing.conftest import approve_all

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def claim(team, amount, *, by=None, receipts=(), **changes):
    values = {
        "category": ExpenseCategory.objects.get(code="promotion"),
        "amount": amount,
        "spent_on": date(2026, 5, 20),
        "reason": "展会物料",
        **changes,
    }
    return claim_submit(values=values, by=by or team.planner, receipts=receipts)


def test_a_new_budget_version_replaces_the_one_in_force_and_keeps_it(team, budget_2026):
    # SPEC: MKT-6 — yearly budget approved by management; adjustments are new versions
    promotion = ExpenseCategory.objects.get(code="promotion")
    with pytest.raises(ValidationFailed):
        budget_draft(year=2026, lines=[LineIn(category=promotion, amount="-5")], by=team.planner)
    with pytest.raises(Forbidden):
        budget_draft(year=2026, lines=[LineIn(category=promotion, amount="1")], by=team.stranger)
    second = budget_draft(
        year=2026, lines=[LineIn(category=promotion, amount="15000")], by=team.planner
    )
    assert budget_in_force(2026) == budget_2026  # a draft changes nothing
    approve_all(budget_submit(budget=second, by=team.planner), team.ceo, team.cfo)
    assert budget_in_force(2026) == second
    budget_2026.refresh_from_db()
    assert budget_2026.state == Budget.State.SUPERSEDED


def test_a_claim_runs_through_its_flow_and_is_reimbursed(team, budget_2026):
    # SPEC: MKT-6 — approval by the flow, then finance marks it reimbursed
    small = claim(team, "800", receipts=[SimpleUploadedFile("发票.pdf", PDF)])
    request = claim_request(small)
    assert [step["name"] for step in request.plan] == ["部门负责人审批", "财务审核"]
    assert (request.snapshot["remaining"], request.snapshot["over_budget"]) == ("10000.00", "no")
    approve_all(request, team.head, team.cashier)
    small.refresh_from_db()
    assert small.state == "approved"
    with pytest.raises(Forbidden):
        claim_reimburse(claim=small, by=team.planner, paid_on=date(2026, 6, 14))
    claim_reimburse(claim=small, by=team.cashier, paid_on=date(2026, 6, 14))
    small.refresh_from_db()
    assert (small.state, small.paid_on) == ("reimbursed", date(2026, 6, 14))
    with pytest.raises(Conflict):
        claim_reimburse(claim=small, by=team.cashier, paid_on=date(2026, 6, 14))


def test_an_overspending_claim_needs_the_extra_step(team, budget_2026):
    # SPEC: MKT-6 — a claim that would overspend shows it and needs the step the flow names
    big = claim(team, "4800")
    approve_all(claim_request(big), team.head, team.cashier)
    over = claim(team, "5400")  # 4,800 spent, 5,200 left
    request = claim_request(over)
    assert (request.snapshot["remaining"], request.snapshot["over_budget"]) == ("5200.00", "yes")
    assert [step["name"] for step in request.plan] == [
        "部门负责人审批",
        "总经理审批",  # above 5,000 元
        "超预算审批",
        "财务审核",
    ]


def test_bad_claims_and_receipts_change_nothing(team, budget_2026):
    # SPEC: MKT-6 — wrong type, too big, a future date: refused by name, nothing kept
    with pytest.raises(ValidationFailed) as refused:
        claim(team, "0", spent_on=date(2026, 7, 1), reason="")
    assert set(refused.value.fields) == {"amount", "spent_on", "reason"}
    fake = SimpleUploadedFile("发票.pdf", b"<html>not a receipt</html>")
    with pytest.raises(ValidationFailed) as refused:
        claim(team, "100", receipts=[fake])
    assert refused.value.fields == {"发票.pdf": "不是 JPEG、PNG 或 PDF 文件"}
    settings_update(changes={"marketing.receipt_max_mb": 1}, by=team.ceo)
    huge = SimpleUploadedFile("scan.png", PNG + b"\x00" * (1024 * 1024))
    with pytest.raises(ValidationFailed, match="票据未被接受"):
        claim(team, "100", receipts=[huge])
    assert not ExpenseClaim.objects.exists()


def test_a_receipt_is_stored_under_our_name_and_served_only_to_who_may_see_it(
    team, budget_2026, client_for, make_user, org
):
    # SPEC: MKT-6, SEC-1 — path tricks stay names; a stranger gets nothing
    tricky = SimpleUploadedFile("../../etc/passwd.pdf", PDF)
    kept = claim(team, "300", receipts=[tricky])
    [receipt] = kept.attachments.all()
    assert receipt.original_name == "passwd.pdf"
    assert stored_path(kept.pk, receipt.stored_name).read_bytes() == PDF
    with pytest.raises(ValueError, match="not a stored file name"):
        stored_path(kept.pk, "../../settings.py")
    url = f"/marketing/claims/{kept.pk}/receipts/{receipt.pk}/"
    own = client_for(team.planner).get(url)
    assert (own.status_code, own["Content-Type"], own["X-Content-Type-Options"]) == (
        200,
        "application/pdf",
        "nosniff",
    )
    assert b"".join(own.streaming_content) == PDF
    assert client_for(team.stranger).get(url).status_code == 404
    assert client_for(team.stranger).get(f"/marketing/claims/{kept.pk}/").status_code == 404
    assert client_for(team.head).get(url).status_code == 200  # decides it


def test_a_rep_sees_only_their_own_claims(team, budget_2026, client_for, make_user):
    # SPEC: SEC-1 — scope: a rep sees their claims, not a colleague's
    mine = claim(team, "100", by=team.stranger)
    theirs = claim(team, "200")
    page = client_for(team.stranger).get("/marketing/claims/?box=all").content.decode()
    assert f"/marketing/claims/{mine.pk}/" in page
    assert f"/marketing/claims/{theirs.pk}/" not in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_80_percent_alert_is_told_once_when_two_approvals_land_together(team, budget_2026):
    # SPEC: MKT-6 — at 80 % and 100 % of a category's budget, told once
    first, second = claim(team, "4500"), claim(team, "4500")
    for pending in (first, second):
        approve_all_but_last(claim_request(pending), team.head)
    results = all_at_once(
        *(
            lambda pending=pending: approve_last(claim_request(pending), team.cashier)
            for pending in (first, second)
        )
    )
    assert not [result for result in results if isinstance(result, Exception)]
    assert ExpenseClaim.objects.filter(state="approved").count() == 2
    assert list(BudgetAlert.objects.values_list("threshold", flat=True)) == [80]  # 90 % spent
    told = Notification.objects.filter(recipient=team.cashier, title__contains="80%")
    assert told.count() == 1


def approve_all_but_last(request, approver):
    approval_decide(request=request, by=approver, decision="approve")


def approve_last(request, approver):
    return approval_decide(request=request, by=approver, decision="approve")


def test_the_flow_waits_for_finance_last(team, budget_2026):
    pending = claim(team, "100")
    assert set(
        ApprovalTask.objects.filter(request=claim_request(pending), state="waiting").values_list(
            "approver", flat=True
        )
    ) == {team.head.pk}
    assert Decimal(claim_request(pending).snapshot["amount"]) == Decimal("100")
