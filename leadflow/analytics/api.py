from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from .performance import month_of, results_visible_to
from .queries import (
    Period,
    conversion,
    cycle_distribution,
    followup_quality,
    funnel,
    funnel_by_channel,
    leads_by_channel,
    leads_by_month,
)

router = Router(tags=["analytics"])


class PeriodQuery(Schema):
    start: date | None = None
    end: date | None = None


def _period(query: PeriodQuery) -> Period:
    today = timezone.localdate()
    return Period.parse(
        query.start.isoformat() if query.start else None,
        query.end.isoformat() if query.end else None,
        today,
    )


class ChannelRow(Schema):
    channel: str
    channel_name: str
    total: int
    a: int
    b: int
    c: int


class StageRow(Schema):
    stage: str
    label: str
    count: int


class ChannelFunnel(Schema):
    channel: str
    channel_name: str
    initial: int
    needs: int
    comparing: int
    negotiating: int
    won: int


class ConversionRow(Schema):
    key: str
    leads: int
    won: int
    rate: float
    amount: Decimal
    average_order: Decimal
    median_cycle_days: Decimal | None


class QualityRow(Schema):
    name: str = Field(description="the rep, or the team")
    accepted: int
    on_time: int
    timeliness: float
    followed: int
    success: float
    followups_per_lead: float


@router.get("/analytics/leads-by-channel", response=list[ChannelRow], summary="Leads and quality")
def analytics_leads_by_channel(request, period: Query[PeriodQuery]):
    """Leads acquired in the period (default: this month) per channel, with A/B/C counts."""
    return leads_by_channel(request.user, _period(period))


@router.get("/analytics/funnel", response=list[StageRow], summary="The stage funnel")
def analytics_funnel(request, period: Query[PeriodQuery], channel: str = ""):
    return funnel(request.user, _period(period), channel)


@router.get(
    "/analytics/funnel-by-channel", response=list[ChannelFunnel], summary="Funnel per channel"
)
def analytics_funnel_by_channel(request, period: Query[PeriodQuery]):
    return funnel_by_channel(request.user, _period(period))


@router.get("/analytics/conversion", response=list[ConversionRow], summary="Conversion")
def analytics_conversion(request, period: Query[PeriodQuery], by: str = "channel"):
    """Per channel, campaign or owner: leads, won, rate, average order, median cycle."""
    return conversion(request.user, _period(period), by)


@router.get("/analytics/follow-up", response=list[QualityRow], summary="Follow-up quality")
def analytics_followup(request, period: Query[PeriodQuery], by: str = "rep"):
    """Per rep or team: timeliness (first contact in time ÷ accepted), success and
    follow-ups per lead."""
    return followup_quality(request.user, _period(period), by)


class MonthRow(Schema):
    month: str = Field(description="YYYY-MM, in the company's time zone")
    total: int
    a: int
    b: int
    c: int


@router.get("/analytics/leads-by-month", response=list[MonthRow], summary="Leads per month")
def analytics_leads_by_month(request, period: Query[PeriodQuery]):
    return leads_by_month(request.user, _period(period))


class CycleRow(Schema):
    days: str = Field(description="a range of days from capture to win, e.g. 7–30")
    won: int


@router.get(
    "/analytics/cycle-distribution", response=list[CycleRow], summary="Cycle time distribution"
)
def analytics_cycle_distribution(request, period: Query[PeriodQuery]):
    return cycle_distribution(request.user, _period(period))


class PerformanceOut(Schema):
    rep: str
    rank: int
    team_rank: int | None
    score: Decimal
    figures: dict[str, Any]
    points: dict[str, Any]
    adjustments: dict[str, Any]


@router.get(
    "/performance",
    response=list[PerformanceOut],
    summary="A month's staff performance (month=YYYY-MM; the last month by default)",
)
def performance(request, month: str = ""):
    first = month_of(month, timezone.localdate())
    return [
        {
            "rep": str(row.user),
            "rank": row.rank,
            "team_rank": row.team_rank,
            "score": row.score,
            "figures": row.figures,
            "points": row.points,
            "adjustments": row.adjustments,
        }
        for row in results_visible_to(request.user, first)
    ]
