"""A campaign's evaluation (MKT-2, ANA-5), computed, never typed in: the leads attributed
to it and what became of them, the sales of the deals they became, the cost of the
approved expense claims charged to it, and the ratios, each beside its target."""

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from leadflow.leads.queries import campaign_leads

from .models import Campaign, ExpenseClaim
from .research import campaign_satisfaction

CENTS = Decimal("0.01")


def _ratio(numerator: Decimal, denominator: Decimal | int) -> Decimal | None:
    return (numerator / denominator).quantize(CENTS) if denominator else None


def campaign_cost(campaign_ids: list[int]) -> dict[int, Decimal]:
    """{campaign id: the approved (or reimbursed) claims charged to it}."""
    rows = (
        ExpenseClaim.objects.filter(campaign_id__in=campaign_ids, state__in=ExpenseClaim.SPENT)
        .values("campaign_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["campaign_id"]: row["total"] for row in rows}


def campaign_figures(campaign: Campaign) -> dict[str, Any]:
    """Every figure of the evaluation, with the target and the gap where there is one."""
    leads = campaign_leads([campaign.pk])
    counted = leads.aggregate(
        leads=Count("id"),
        a_leads=Count("id", filter=Q(grade="A")),
        b_leads=Count("id", filter=Q(grade="B")),
        c_leads=Count("id", filter=Q(grade="C")),
        converted=Count("id", filter=Q(customer__isnull=False)),
        sales=Sum("deal__amount"),
    )
    sales = (counted["sales"] or Decimal(0)).quantize(CENTS)
    cost = campaign_cost([campaign.pk]).get(campaign.pk, Decimal(0)).quantize(CENTS)
    by_detail = {
        row["channel_detail"] or "—": row["n"]
        for row in leads.values("channel_detail").annotate(n=Count("id")).order_by("-n")
    }
    figures: dict[str, Any] = {
        "participants": campaign.participants,
        "leads": counted["leads"],
        "a_leads": counted["a_leads"],
        "grades": {"A": counted["a_leads"], "B": counted["b_leads"], "C": counted["c_leads"]},
        "by_channel_detail": by_detail,
        "converted": counted["converted"],
        "sales": sales,
        "cost": cost,
        "cost_per_lead": _ratio(cost, counted["leads"]),
        "cost_per_a_lead": _ratio(cost, counted["a_leads"]),
        "roi": _ratio(sales - cost, cost),
        # From the surveys about it when there are answers, else as the owner entered it.
        "satisfaction": campaign_satisfaction(campaign.pk) or campaign.satisfaction,
    }
    return figures


TARGETS = {
    "participants": "target_participants",
    "leads": "target_leads",
    "a_leads": "target_a_leads",
    "sales": "target_sales",
    "satisfaction": "target_satisfaction",
}


def against_targets(campaign: Campaign, figures: dict[str, Any]) -> list[dict[str, Any]]:
    """[{name, actual, target, gap}] for the figures that have a target."""
    rows = []
    for name, target_field in TARGETS.items():
        target = getattr(campaign, target_field)
        actual = figures.get(name)
        if isinstance(actual, str):
            actual = Decimal(actual)
        gap = None if actual is None else Decimal(str(actual)) - Decimal(str(target))
        rows.append({"name": name, "actual": actual, "target": target, "gap": gap})
    return rows
