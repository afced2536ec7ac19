"""Marketing analytics (ANA-5) and the lead → opportunity → deal cycle (ANA-3), the seed's
步骤5 数据复盘: which channel and campaign brings leads that become sales, at what cost.

Leads are those the viewer may see acquired in the period (`leads_in`); their sales are
the deals they were won with. Cost is the approved or reimbursed expense claims the viewer
may see, spent in the period, charged to a campaign of the channel (or to the campaign).
"""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from statistics import median
from typing import Any

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext

from leadflow.accounts.models import User
from leadflow.core.errors import ValidationFailed
from leadflow.leads.models import LeadEvent, Stage
from leadflow.marketing.expenses import claims_visible_to
from leadflow.marketing.models import ExpenseClaim

from .queries import Period, leads_in

CENTS = Decimal("0.01")
# Per grouping: (the leads' name column, their link column, the claims' name column).
GROUPS = {
    "channel": ("channel__name", "channel__code", "campaign__channel__name"),
    "campaign": ("campaign__name", "campaign_id", "campaign__name"),
}
OPPORTUNITY = (Stage.NEEDS, Stage.COMPARING, Stage.NEGOTIATING, Stage.WON)


def _ratio(numerator: Decimal, denominator: Decimal | int) -> Decimal | None:
    return (Decimal(numerator) / denominator).quantize(CENTS) if denominator else None


def spent_in(user: User, period: Period, by: str) -> dict[str, Decimal]:
    """{channel or campaign name: approved claims spent in the period charged to it}."""
    group = GROUPS[by][2]
    rows = (
        claims_visible_to(user)
        .filter(
            state__in=ExpenseClaim.SPENT,
            spent_on__gte=period.start,
            spent_on__lte=period.end,
            campaign__isnull=False,
        )
        .order_by()
        .values(group)
        .annotate(total=Sum("amount"))
    )
    return {row[group]: row["total"] for row in rows if row[group]}


def efficiency(user: User, period: Period, by: str = "channel") -> list[dict[str, Any]]:
    """Per channel or campaign: leads and their grades, won leads, conversion, sales, cost,
    cost per lead and per grade-A lead, ROI ((sales − cost) ÷ cost). Best converting first;
    "官网表单转化率 8 %, 行业平台 12 %" is the rate column."""
    if by not in GROUPS:
        raise ValidationFailed(
            gettext("Unknown grouping."), fields={"by": f"{by!r} is not channel or campaign"}
        )
    group, link = GROUPS[by][:2]
    leads = leads_in(user, period)
    if by == "campaign":
        leads = leads.filter(campaign__isnull=False)
    rows = (
        leads.order_by()
        .values(group, link)
        .annotate(
            leads=Count("id"),
            a=Count("id", filter=Q(grade="A")),
            b=Count("id", filter=Q(grade="B")),
            c=Count("id", filter=Q(grade="C")),
            won=Count("id", filter=Q(stage=Stage.WON)),
            sales=Sum("deal_amount", filter=Q(stage=Stage.WON)),
        )
    )
    costs = spent_in(user, period, by)
    result = []
    for row in rows:
        name = row[group] or "—"
        cost = (costs.get(row[group]) or Decimal(0)).quantize(CENTS)
        sales = (row["sales"] or Decimal(0)).quantize(CENTS)
        result.append(
            {
                "key": name,
                "link": row[link],
                "leads": row["leads"],
                "a": row["a"],
                "b": row["b"],
                "c": row["c"],
                "won": row["won"],
                "rate": round(row["won"] / row["leads"], 4) if row["leads"] else 0.0,
                "sales": sales,
                "cost": cost,
                "cost_per_lead": _ratio(cost, row["leads"]) if cost else None,
                "cost_per_a_lead": _ratio(cost, row["a"]) if cost else None,
                "roi": _ratio(sales - cost, cost),
            }
        )
    return sorted(result, key=lambda r: (-r["rate"], -r["leads"], r["key"]))


def channel_trend(user: User, today: date, months: int = 6) -> dict[str, Any]:
    """Leads and conversion per channel for the last `months` months (this one included),
    with each channel's change in leads from the month before to this one."""
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    period = Period(first, today)
    rows = (
        leads_in(user, period)
        .order_by()
        .annotate(month=TruncMonth("acquired_at"))
        .values("month", "channel__name")
        .annotate(leads=Count("id"), won=Count("id", filter=Q(stage=Stage.WON)))
    )
    grid: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    labels: set[str] = set()
    for row in rows:
        month = f"{row['month']:%Y-%m}"
        labels.add(month)
        grid[row["channel__name"] or "—"][month] = {"leads": row["leads"], "won": row["won"]}
    month_labels = []
    step = first
    while step <= today:
        month_labels.append(f"{step:%Y-%m}")
        step = (step + timedelta(days=32)).replace(day=1)
    channels = []
    for name, by_month in sorted(grid.items()):
        leads = [by_month.get(m, {}).get("leads", 0) for m in month_labels]
        won = [by_month.get(m, {}).get("won", 0) for m in month_labels]
        before, now = (leads[-2], leads[-1]) if len(leads) > 1 else (0, leads[-1])
        channels.append(
            {
                "key": name,
                "leads": leads,
                "rates": [round(w / n, 4) if n else None for w, n in zip(won, leads, strict=True)],
                "change": round((now - before) / before, 4) if before else None,
            }
        )
    return {"months": month_labels, "channels": channels}


def cycle_by_grade(user: User, period: Period) -> list[dict[str, Any]]:
    """Per grade, over the won leads acquired in the period: days from capture to
    opportunity (first reaching 需求明确 or beyond), from opportunity to the deal, and the
    whole cycle (average and median) — "A类线索平均转化周期7天"."""
    won = leads_in(user, period).filter(stage=Stage.WON, deal__isnull=False)
    rows = list(won.values_list("id", "grade", "acquired_at", "deal__won_at", "deal__cycle_days"))
    opportunity = dict(
        LeadEvent.objects.filter(
            lead__in=won, kind="stage", data__to__in=[str(stage) for stage in OPPORTUNITY]
        )
        .order_by()
        .values("lead_id")
        .annotate(first=Min("at"))
        .values_list("lead_id", "first")
    )
    grades: dict[str, dict[str, list[float]]] = defaultdict(
        lambda: {"whole": [], "to_opportunity": [], "to_deal": []}
    )
    for lead_id, grade, acquired_at, won_at, cycle_days in rows:
        days = grades[grade or "—"]
        days["whole"].append(float(cycle_days))
        if lead_id in opportunity:
            days["to_opportunity"].append(
                (opportunity[lead_id] - acquired_at).total_seconds() / 86_400
            )
            days["to_deal"].append((won_at - opportunity[lead_id]).total_seconds() / 86_400)

    def average(values: list[float]) -> float | None:
        return round(sum(values) / len(values), 1) if values else None

    return [
        {
            "grade": grade,
            "won": len(days["whole"]),
            "to_opportunity": average(days["to_opportunity"]),
            "to_deal": average(days["to_deal"]),
            "average": average(days["whole"]),
            "median": round(median(days["whole"]), 1) if days["whole"] else None,
        }
        for grade, days in sorted(grades.items())
    ]
