"""Expense claims (费用报销, MKT-6): a claim with its receipts runs through the approvals
engine (kind expense_claim; seeded: the department head, 总经理 above 5,000 元 or when it
would overspend its category, then finance), and finance marks it reimbursed. Every
approver sees what is left of the category's budget. When a category's spend crosses
80 % and 100 % of its budget, the marketing head and finance are told, once each."""

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.accounts.org import users_with_permission
from leadflow.accounts.scope import scope_filter
from leadflow.approvals.engine import approval_submit
from leadflow.approvals.kinds import Choice, register_kind
from leadflow.approvals.models import ApprovalRequest
from leadflow.core.audit import audit_record
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.storable import check_storable
from leadflow.notify.delivery import Message, notify

from .budgets import category_budget, category_spent
from .models import BudgetAlert, Campaign, ClaimAttachment, ExpenseCategory, ExpenseClaim
from .permissions import MARKETING_BUDGET, MARKETING_REIMBURSE
from .receipts import Receipt, checked_receipts, store

KIND = "expense_claim"
THRESHOLDS = (80, 100)
State = ExpenseClaim.State


def claims_visible_to(user) -> QuerySet[ExpenseClaim]:
    """A rep sees their own claims; managers those of their scope; finance and whoever
    keeps the budget see them all; approvers see those they decide."""
    if user.has_permission(MARKETING_REIMBURSE) or user.has_permission(MARKETING_BUDGET):
        sight = Q()
    else:
        sight = scope_filter(user, owner_field="claimant")
    deciding = ApprovalRequest.objects.filter(kind=KIND, tasks__approver=user).values("subject_id")
    condition = (sight | Q(pk__in=deciding)) if sight else Q()
    return ExpenseClaim.objects.filter(condition).select_related("claimant", "category", "campaign")


def _checked_claim(values: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    category = values.get("category")
    if not isinstance(category, ExpenseCategory) or not category.active:
        errors["category"] = gettext("choose a category")
    try:
        amount = Decimal(str(values.get("amount") or "")).quantize(Decimal("0.01"))
        if not Decimal(0) < amount < Decimal("1e10"):
            errors["amount"] = gettext("an amount above 0 元")
    except InvalidOperation:
        amount = Decimal(0)
        errors["amount"] = gettext("%(value)r is not an amount") % {"value": values.get("amount")}
    spent_on = values.get("spent_on")
    if not isinstance(spent_on, date):
        try:
            spent_on = date.fromisoformat(str(spent_on or ""))
        except ValueError:
            errors["spent_on"] = gettext("the date it was spent (YYYY-MM-DD)")
            spent_on = None
    if spent_on and spent_on > timezone.localdate():
        errors["spent_on"] = gettext("%(day)s is in the future") % {"day": spent_on}
    reason = str(values.get("reason") or "").strip()
    if not reason:
        errors["reason"] = gettext("required: what it was for")
    campaign = values.get("campaign")
    if campaign is not None and campaign.state not in (
        Campaign.State.APPROVED,
        Campaign.State.RUNNING,
        Campaign.State.ENDED,
    ):
        errors["campaign"] = gettext("%(campaign)s is not approved: costs are charged to it later")
        errors["campaign"] %= {"campaign": campaign.name}
    if errors:
        raise ValidationFailed(gettext("The claim was not sent."), fields=errors)
    check_storable(ExpenseClaim, {"reason": reason})
    return {
        "category": category,
        "amount": amount,
        "spent_on": spent_on,
        "reason": reason[:500],
        "campaign": campaign,
    }


@transaction.atomic
def claim_submit(
    *, values: Mapping[str, Any], by: User, receipts: Iterable[Any] = ()
) -> ExpenseClaim:
    """A claim with its receipts, sent for approval. Nothing is kept when anything is
    refused: a field, a receipt, or a flow nobody can decide."""
    clean = _checked_claim(values)
    files = checked_receipts(receipts)
    now = timezone.now()
    claim = ExpenseClaim.objects.create(
        claimant=by, department=by.department, created_at=now, updated_at=now, **clean
    )
    _attach(claim, files, now)
    approval_submit(
        kind=KIND,
        subject=claim,
        by=by,
        reason=claim.reason,
        title=gettext("Expense claim: %(category)s %(amount)s 元")
        % {"category": claim.category.name, "amount": claim.amount},
    )
    return claim


def _attach(claim: ExpenseClaim, files: list[Receipt], now) -> None:
    for receipt in files:
        ClaimAttachment.objects.create(
            claim=claim,
            stored_name=store(claim.pk, receipt),
            original_name=receipt.original_name,
            content_type=receipt.content_type,
            size=len(receipt.content),
            sha256=receipt.sha256,
            uploaded_at=now,
        )


def remaining_budget(claim: ExpenseClaim) -> tuple[Decimal | None, Decimal]:
    """(the category's budget this year, or None without one; what is spent besides
    this claim)."""
    year = claim.spent_on.year
    return category_budget(year, claim.category_id), category_spent(
        year, claim.category_id, excluding=claim.pk
    )


class ClaimKind:
    code = KIND
    label = _("Expense claim")

    def snapshot(self, subject: ExpenseClaim, values: Mapping[str, Any]) -> dict[str, Any]:
        budget, spent = remaining_budget(subject)
        left = None if budget is None else budget - spent
        return {
            "category": subject.category.name,
            "amount": str(subject.amount),
            "spent_on": str(subject.spent_on),
            "campaign": subject.campaign.name if subject.campaign else "",
            "receipts": subject.attachments.count(),
            "budget": "" if budget is None else str(budget),
            "remaining": "" if left is None else str(left),
            # The flow's extra step reads this: the claim would overspend its category.
            "over_budget": "yes" if left is not None and subject.amount > left else "no",
        }

    def amount(self, subject: ExpenseClaim, values: Mapping[str, Any]) -> Decimal | None:
        return subject.amount

    def visible_to(self, subject: ExpenseClaim, user) -> bool:
        return claims_visible_to(user).filter(pk=subject.pk).exists()

    def url(self, subject: ExpenseClaim) -> str:
        return f"/marketing/claims/{subject.pk}/"

    def choices(self, subject: ExpenseClaim, by) -> list[Choice]:
        return []

    def on_progress(self, request: ApprovalRequest) -> None:
        following = {"pending": State.PENDING, "returned": State.RETURNED}
        state = following.get(str(request.state))
        if state is not None:
            ExpenseClaim.objects.filter(pk=request.subject_id).update(
                state=state, updated_at=timezone.now()
            )

    def on_approved(self, request: ApprovalRequest, *, by, choices: Mapping[str, Any]) -> dict:
        ExpenseClaim.objects.filter(pk=request.subject_id).update(
            state=State.APPROVED, updated_at=timezone.now()
        )
        claim = ExpenseClaim.objects.select_related("category").get(pk=request.subject_id)
        crossed = alert_thresholds(claim.spent_on.year, claim.category)
        return {"state": State.APPROVED.value, "alerts": crossed}

    def on_closed(self, request: ApprovalRequest, *, by) -> None:
        state = (
            State.REJECTED if request.state == ApprovalRequest.State.REJECTED else State.WITHDRAWN
        )
        ExpenseClaim.objects.filter(pk=request.subject_id).update(
            state=state, updated_at=timezone.now()
        )


register_kind(ClaimKind())


def alert_thresholds(year: int, category: ExpenseCategory) -> list[int]:
    """Tell the marketing head and finance of each threshold the category's spend has
    crossed, once: the alert row is the claim on telling, so two approvals at once tell
    nobody twice."""
    budget = category_budget(year, category.pk)
    if not budget:
        return []
    # One approval at a time per category from here: the next one waits, then sees this
    # one's claim as spent (PostgreSQL reads what is committed; SQLite has one writer).
    ExpenseCategory.objects.select_for_update().filter(pk=category.pk).first()
    spent = category_spent(year, category.pk)
    crossed = []
    for threshold in THRESHOLDS:
        if spent * 100 < budget * threshold:
            continue
        try:
            with transaction.atomic():
                BudgetAlert.objects.create(
                    year=year, category=category, threshold=threshold, at=timezone.now()
                )
        except IntegrityError:
            continue  # told already
        crossed.append(threshold)
        recipients = {
            user.pk: user
            for user in [
                *users_with_permission(MARKETING_BUDGET),
                *users_with_permission(MARKETING_REIMBURSE),
            ]
        }
        notify(
            list(recipients.values()),
            Message(
                title=gettext("%(category)s has used %(threshold)s%% of its %(year)s budget")
                % {"category": category.name, "threshold": threshold, "year": year},
                body=gettext("Spent %(spent)s 元 of %(budget)s 元.")
                % {"spent": spent, "budget": budget},
                url="/marketing/analysis/",
                level="warning",
            ),
        )
    return crossed


@transaction.atomic
def claim_reimburse(*, claim: ExpenseClaim, by: User, paid_on: date | None) -> ExpenseClaim:
    """Finance pays an approved claim and says when."""
    if not by.has_permission(MARKETING_REIMBURSE):
        raise Forbidden(gettext("Only finance reimburses claims."))
    if paid_on is None or paid_on > timezone.localdate():
        raise ValidationFailed(
            gettext("Say when it was paid."),
            fields={"paid_on": gettext("the payment date, today or earlier")},
        )
    taken = ExpenseClaim.objects.filter(pk=claim.pk, state=State.APPROVED).update(
        state=State.REIMBURSED, paid_on=paid_on, paid_by=by, updated_at=timezone.now()
    )
    if taken != 1:
        raise Conflict(
            gettext("Only an approved claim not yet paid is reimbursed."),
            fields={"state": claim.state},
        )
    claim.refresh_from_db()
    audit_record(
        actor=by,
        action="claim.reimbursed",
        obj=claim,
        extra={"amount": str(claim.amount), "paid_on": str(paid_on)},
    )
    notify(
        claim.claimant,
        Message(
            title=gettext("Reimbursed: %(amount)s 元") % {"amount": claim.amount},
            body=claim.reason,
            url=f"/marketing/claims/{claim.pk}/",
        ),
    )
    return claim


def claim_request(claim: ExpenseClaim) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(kind=KIND, subject_id=claim.pk).order_by("-id").first()
