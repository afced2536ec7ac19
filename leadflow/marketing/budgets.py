"""The yearly marketing budget (MKT-6): lines by expense category, by department and
optionally by month. A version is approved by management through the approvals engine
(kind budget); a later approved version replaces it and the old one is kept. What has
been spent counts approved and reimbursed expense claims."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import Department, User
from leadflow.approvals.engine import approval_submit
from leadflow.approvals.kinds import Choice, YearVersionKind, register_kind
from leadflow.approvals.models import ApprovalRequest
from leadflow.core.audit import audit_record
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed

from .models import Budget, BudgetLine, ExpenseCategory, ExpenseClaim
from .permissions import MARKETING_BUDGET

KIND = "budget"
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class LineIn:
    category: ExpenseCategory | None
    amount: Any
    department: Department | None = None
    month: int | None = None


def _checked_lines(lines: Iterable[LineIn]) -> list[BudgetLine]:
    errors: dict[str, str] = {}
    clean = []
    for number, line in enumerate(lines, start=1):
        field = f"lines.{number}"
        if line.category is None:
            errors[field] = gettext("choose a category")
            continue
        try:
            amount = Decimal(str(line.amount)).quantize(Decimal("0.01"))
        except InvalidOperation:
            errors[field] = gettext("%(value)r is not an amount") % {"value": line.amount}
            continue
        if not Decimal(0) < amount < Decimal("1e12"):
            errors[field] = gettext("an amount above 0 元")
            continue
        if line.month is not None and not 1 <= line.month <= 12:
            errors[field] = gettext("a month from 1 to 12, or none for the whole year")
            continue
        clean.append(
            BudgetLine(
                category=line.category, department=line.department, month=line.month, amount=amount
            )
        )
    if not clean and not errors:
        errors["lines"] = gettext("a budget has at least one line")
    if errors:
        raise ValidationFailed(gettext("The budget was not saved."), fields=errors)
    return clean


@transaction.atomic
def budget_draft(*, year: int, lines: Iterable[LineIn], by: User, note: str = "") -> Budget:
    """A new version of the year's budget, in draft; the approved one stays in force."""
    if not by.has_permission(MARKETING_BUDGET):
        raise Forbidden(gettext("Only those who keep the budget draft it."))
    if not 2000 <= int(year) <= 2100:
        raise ValidationFailed(
            gettext("The budget was not saved."), fields={"year": gettext("a year like 2027")}
        )
    clean = _checked_lines(lines)
    last = Budget.objects.filter(year=year).aggregate(last=Max("version"))["last"] or 0
    budget = Budget.objects.create(
        year=year,
        version=last + 1,
        note=note.strip()[:500],
        created_by=by,
        created_at=timezone.now(),
    )
    for line in clean:
        line.budget = budget
    BudgetLine.objects.bulk_create(clean)
    audit_record(actor=by, action="budget.drafted", obj=budget, extra={"year": year})
    return budget


def budget_total(budget: Budget) -> Decimal:
    return budget.lines.aggregate(total=Sum("amount"))["total"] or Decimal(0)


@transaction.atomic
def budget_submit(*, budget: Budget, by: User) -> ApprovalRequest:
    if budget.state != Budget.State.DRAFT:
        raise Conflict(gettext("Only a draft budget is submitted."), fields={"state": budget.state})
    request = approval_submit(
        kind=KIND,
        subject=budget,
        by=by,
        reason=budget.note or gettext("Marketing budget %(year)s") % {"year": budget.year},
        title=gettext("Marketing budget %(year)s, version %(version)s")
        % {"year": budget.year, "version": budget.version},
    )
    Budget.objects.filter(pk=budget.pk).update(state=Budget.State.PENDING)
    budget.state = Budget.State.PENDING
    return request


class BudgetKind(YearVersionKind):
    model = Budget
    code = KIND
    label = _("Marketing budget")

    def snapshot(self, subject: Budget, values: Mapping[str, Any]) -> dict[str, Any]:
        lines = subject.lines.select_related("category", "department")
        return {
            "year": subject.year,
            "version": subject.version,
            "amount": str(budget_total(subject)),
            "lines": [
                {
                    "category": line.category.name,
                    "department": line.department.name if line.department else "",
                    "month": line.month,
                    "amount": str(line.amount),
                }
                for line in lines
            ],
        }

    def amount(self, subject: Budget, values: Mapping[str, Any]) -> Decimal | None:
        return budget_total(subject)

    def visible_to(self, subject: Budget, user) -> bool:
        return user.has_permission(MARKETING_BUDGET)

    def url(self, subject: Budget) -> str:
        return f"/marketing/budgets/?year={subject.year}"

    def choices(self, subject: Budget, by) -> list[Choice]:
        return []


register_kind(BudgetKind())


def budget_in_force(year: int) -> Budget | None:
    return Budget.objects.filter(year=year, state=Budget.State.APPROVED).first()


def category_budget(year: int, category_id: int) -> Decimal | None:
    """The year's approved budget for a category (all departments, all months)."""
    budget = budget_in_force(year)
    if budget is None:
        return None
    total = budget.lines.filter(category_id=category_id).aggregate(total=Sum("amount"))["total"]
    return None if total is None else total.quantize(CENTS)


def category_spent(year: int, category_id: int, *, excluding: int | None = None) -> Decimal:
    claims = ExpenseClaim.objects.filter(
        spent_on__year=year, category_id=category_id, state__in=ExpenseClaim.SPENT
    )
    if excluding is not None:
        claims = claims.exclude(pk=excluding)
    return (claims.aggregate(total=Sum("amount"))["total"] or Decimal(0)).quantize(CENTS)
