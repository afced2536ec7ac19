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
from django.utils.translation import gettext

from leadflow.accounts.models import User
from leadflow.core.errors import ValidationFailed
from leadflow.leads.models import Channel, LeadEvent, Stage
from leadflow.marketing.expenses import claims_visible_to
from leadflow.marketing.models import Campaign, ExpenseClaim

from .queries import Period, leads_in

CENTS = Decimal("0.01")
# Per grouping: (the leads' column, the claims' column naming the same thing).
GROUPS = {"channel": ("channel_id", "campaign__channel_id"), "campaign": ("campaign_id",) * 2}
OPPORTUNITY = (Stage.NEEDS, Stage.COMPARING, Stage.NEGOTIATING, Stage.WON)


def _ratio(numerator: Decimal, denominator: Decimal | int) -> Decimal | None:
    return (Decimal(numerator) / denominator).quantize(CENTS) if denominator else None


def spent_in(user: User, period: Period, by: str) -> dict[int, Decimal]:
    """{channel or campaign id: approved claims spent in the period charged to it}."""
    group = GROUPS[by][1]
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
    group = GROUPS[by][0]
    leads = leads_in(user, period)
    if by == "campaign":
        leads = leads.filter(campaign__isnull=False)
    # Counted from the lead_acquired index alone; the sales from the won leads only.
    rows = (
        leads.order_by()
        .values(group)
        .annotate(
            leads=Count("id"),
            a=Count("id", filter=Q(grade="A")),
            b=Count("id", filter=Q(grade="B")),
            c=Count("id", filter=Q(grade="C")),
            won=Count("id", filter=Q(stage=Stage.WON)),
        )
    )
    sales = dict(
        leads.filter(stage=Stage.WON)
        .order_by()
        .values(group)
        .annotate(total=Sum("deal_amount"))
        .values_list(group, "total")
    )
    costs = spent_in(user, period, by)
    model = Channel if by == "channel" else Campaign
    names = dict(
        model.objects.filter(pk__in=[row[group] for row in rows]).values_list("pk", "name")
    )
    links = dict(Channel.objects.values_list("pk", "code")) if by == "channel" else {}
    result = []
    for row in rows:
        key = row[group]
        cost = (costs.get(key) or Decimal(0)).quantize(CENTS)
        sold = (sales.get(key) or Decimal(0)).quantize(CENTS)
        result.append(
            {
                "key": names.get(key, "—"),
                "link": links.get(key, key),
                "leads": row["leads"],
                "a": row["a"],
                "b": row["b"],
                "c": row["c"],
                "won": row["won"],
                "rate": round(row["won"] / row["leads"], 4) if row["leads"] else 0.0,
                "sales": sold,
                "cost": cost,
                "cost_per_lead": _ratio(cost, row["leads"]) if cost else None,
                "cost_per_a_lead": _ratio(cost, row["a"]) if cost else None,
                "roi": _ratio(sold - cost, cost),
            }
        )
    return sorted(result, key=lambda r: (-r["rate"], -r["leads"], r["key"]))


def channel_trend(user: User, today: date, months: int = 6) -> dict[str, Any]:
    """Leads and conversion per channel for the last `months` months (this one included),
    with each channel's change in leads from the month before to this one."""
    starts = [today.replace(day=1)]
    for _ in range(months - 1):
        starts.insert(0, (starts[0] - timedelta(days=1)).replace(day=1))
    ends = [following - timedelta(days=1) for following in starts[1:]] + [today]
    names = dict(Channel.objects.values_list("pk", "name"))
    grid: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
    # A month at a time: each a range of the lead_acquired index, grouped by channel.
    for start, end in zip(starts, ends, strict=True):
        rows = (
            leads_in(user, Period(start, end))
            .order_by()
            .values("channel_id")
            .annotate(leads=Count("id"), won=Count("id", filter=Q(stage=Stage.WON)))
        )
        for row in rows:
            name = names.get(row["channel_id"], "—")
            grid[name][f"{start:%Y-%m}"] = {"leads": row["leads"], "won": row["won"]}
    month_labels = [f"{start:%Y-%m}" for start in starts]
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
