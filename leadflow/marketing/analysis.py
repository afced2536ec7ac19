"""Marketing analysis (MKT-6, ANA-5): spend against budget by category, department and
month; the expense-to-sales ratio; cost per lead and return per channel and per campaign.
Spend is what approved and reimbursed claims add up to."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import ExtractMonth

from leadflow.accounts.models import Department
from leadflow.leads.queries import campaign_leads
from leadflow.sales.queries import sales_in_year

from .budgets import budget_in_force
from .evaluation import campaign_cost
from .models import Campaign, ExpenseCategory, ExpenseClaim

CENTS = Decimal("0.01")


def _ratio(numerator: Decimal, denominator: Decimal | int) -> Decimal | None:
    return (Decimal(numerator) / Decimal(denominator)).quantize(CENTS) if denominator else None


@dataclass(frozen=True)
class SpendRow:
    label: str
    budget: Decimal | None
    spent: Decimal

    @property
    def used(self) -> Decimal | None:
        """Percent of the budget spent."""
        return _ratio(self.spent * 100, self.budget) if self.budget else None

    @property
    def left(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.spent


def _spent(year: int, by: str) -> dict[Any, Decimal]:
    rows = (
        ExpenseClaim.objects.filter(spent_on__year=year, state__in=ExpenseClaim.SPENT)
        .values(by)
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row[by]: row["total"] for row in rows}


def spend_by(year: int, by: str) -> list[SpendRow]:
    """by: "category", "department" or "month"."""
    budget = budget_in_force(year)
    lines = budget.lines.select_related("category", "department") if budget else []
    if by == "month":
        spent = {
            row["month"]: row["total"]
            for row in ExpenseClaim.objects.filter(
                spent_on__year=year, state__in=ExpenseClaim.SPENT
            )
            .annotate(month=ExtractMonth("spent_on"))
            .values("month")
            .annotate(total=Sum("amount"))
            .order_by()
        }
        planned: dict[Any, Decimal] = {}
        for line in lines:
            if line.month:
                planned[line.month] = planned.get(line.month, Decimal(0)) + line.amount
        return [
            SpendRow(f"{month} 月", planned.get(month), spent.get(month, Decimal(0)))
            for month in range(1, 13)
        ]
    key = "category_id" if by == "category" else "department_id"
    spent = _spent(year, key)
    budgets: dict[Any, Decimal] = {}
    labels: dict[Any, str] = {}
    for line in lines:
        ident = line.category_id if by == "category" else line.department_id
        budgets[ident] = budgets.get(ident, Decimal(0)) + line.amount
        owner = line.category if by == "category" else line.department
        labels[ident] = owner.name if owner else "—"
    missing = set(spent) - set(labels)
    if missing:
        named = ExpenseCategory.objects if by == "category" else Department.objects
        labels.update(named.filter(pk__in=missing).values_list("pk", "name"))
    return [
        SpendRow(labels.get(ident, "—"), budgets.get(ident), spent.get(ident, Decimal(0)))
        for ident in sorted(set(budgets) | set(spent), key=lambda i: labels.get(i, ""))
    ]


def expense_to_sales(year: int) -> dict[str, Decimal | None]:
    spent = sum(_spent(year, "category_id").values(), Decimal(0))
    sales = sales_in_year(year)
    return {"spent": spent, "sales": sales, "ratio": _ratio(spent * 100, sales)}


def by_campaign(year: int) -> list[dict[str, Any]]:
    """Each campaign running in the year: leads, sales, cost, cost per lead, ROI."""
    campaigns = list(Campaign.objects.filter(starts_on__year=year).order_by("starts_on"))
    ids = [campaign.pk for campaign in campaigns]
    leads = {
        row["campaign_id"]: row
        for row in campaign_leads(ids)
        .values("campaign_id")
        .annotate(n=Count("id"), sales=Sum("deal__amount"))
        .order_by()
    }
    cost = campaign_cost(ids)
    rows = []
    for campaign in campaigns:
        found = leads.get(campaign.pk, {"n": 0, "sales": None})
        spent = cost.get(campaign.pk, Decimal(0))
        sales = found["sales"] or Decimal(0)
        rows.append(
            {
                "campaign": campaign,
                "leads": found["n"],
                "sales": sales,
                "cost": spent,
                "cost_per_lead": _ratio(spent, int(found["n"] or 0)),
                "roi": _ratio(sales - spent, spent),
            }
        )
    return rows


def by_channel(year: int) -> list[dict[str, Any]]:
    """Per lead channel: the campaigns' cost on it, its leads, their sales, cost per lead
    and ROI."""
    campaigns = list(Campaign.objects.filter(starts_on__year=year).select_related("channel"))
    cost = campaign_cost([campaign.pk for campaign in campaigns])
    channels: dict[str, dict[str, Any]] = {}
    for campaign in campaigns:
        name = campaign.channel.name if campaign.channel else "—"
        row = channels.setdefault(name, {"channel": name, "ids": [], "cost": Decimal(0)})
        row["ids"].append(campaign.pk)
        row["cost"] += cost.get(campaign.pk, Decimal(0))
    for row in channels.values():
        found = campaign_leads(row.pop("ids")).aggregate(n=Count("id"), sales=Sum("deal__amount"))
        row["leads"], row["sales"] = found["n"], found["sales"] or Decimal(0)
        row["cost_per_lead"] = _ratio(row["cost"], row["leads"])
        row["roi"] = _ratio(row["sales"] - row["cost"], row["cost"])
    return sorted(channels.values(), key=lambda row: row["channel"])
