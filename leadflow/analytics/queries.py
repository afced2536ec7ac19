"""Lead analytics (ANA-1…3): read-only figures over the leads the viewer may see.

Every figure starts from `leads_visible_to(user)` (SEC-1) and a period of acquisition
dates in the company's time zone, so a chart, its table, its export and the API say the
same thing to the same person. Counts are plain SQL aggregates; tests compare them with
direct SQL.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from statistics import median
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext

from leadflow.accounts.models import Team, User
from leadflow.core.errors import ValidationFailed
from leadflow.core.worktime import company_zone
from leadflow.leads.models import (
    MAIN_PATH,
    Channel,
    FollowUp,
    FollowUpLapse,
    FunnelTally,
    Lead,
    Stage,
)
from leadflow.leads.queries import leads_visible_to
from leadflow.leads.scope import lead_owner_scope

MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """Acquisition dates from `start` to `end`, both included, in the company's days."""

    start: date
    end: date

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: date) -> "Period":
        try:
            first = date.fromisoformat(start) if start else today.replace(day=1)
            last = date.fromisoformat(end) if end else today
        except ValueError as error:
            raise ValidationFailed(
                gettext("Dates are written YYYY-MM-DD."), fields={"period": str(error)}
            ) from error
        if last < first or (last - first).days > MAX_DAYS:
            raise ValidationFailed(
                gettext("The period runs forward and spans at most three years."),
                fields={"period": f"{first} … {last}"},
            )
        return cls(first, last)

    def bounds(self) -> tuple[datetime, datetime]:
        zone = company_zone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


def leads_in(user: User, period: Period) -> QuerySet[Lead]:
    since, until = period.bounds()
    return leads_visible_to(user).filter(acquired_at__gte=since, acquired_at__lt=until)


def leads_by_channel(user: User, period: Period) -> list[dict[str, Any]]:
    """Leads per channel with their quality: how many A, B and C (ANA-1)."""
    rows = (
        leads_in(user, period)
        .order_by()
        .values("channel__code", "channel__name")
        .annotate(
            total=Count("id"),
            a=Count("id", filter=Q(grade="A")),
            b=Count("id", filter=Q(grade="B")),
            c=Count("id", filter=Q(grade="C")),
        )
        .order_by("-total", "channel__code")
    )
    return [
        {
            "channel": row["channel__code"],
            "channel_name": row["channel__name"],
            "total": row["total"],
            "a": row["a"],
            "b": row["b"],
            "c": row["c"],
        }
        for row in rows
    ]


FUNNEL = list(MAIN_PATH)


def _reached_at_least(furthest: dict[str, int]) -> dict[str, int]:
    """{stage: leads whose furthest stage is this one or later}, in funnel order, from
    {stage: leads whose furthest stage is exactly this one}."""
    counts, running = {}, 0
    for stage in reversed(FUNNEL):
        running += furthest.get(stage, 0)
        counts[stage] = running
    return dict(reversed(counts.items()))


def furthest_stages(user: User, period: Period, channel: str = "") -> dict[tuple[int, str], int]:
    """{(channel id, stage): leads whose furthest stage it is}, over the live leads the
    user may see acquired in the period, optionally of one channel (by code).

    Whole UTC months are read from the funnel tally that triggers keep exact (see
    `FunnelTally`); the days before the first and after the last whole month, from the
    leads themselves over the lead_worked index."""
    since, until = period.bounds()
    months = _whole_utc_months(since, until)
    ranges = [(since, until)]
    counts: dict[tuple[int, str], int] = defaultdict(int)
    if months:
        first, last = months
        ranges = [(since, first), (last, until)]  # apart: an OR of two ranges scans all
        tallies = FunnelTally.objects.filter(
            lead_owner_scope(user), month__gte=first.date(), month__lt=last.date()
        )
        if channel:
            tallies = tallies.filter(channel__code=channel)
        for channel_id, stage, n in (
            tallies.order_by().values_list("channel_id", "furthest_stage").annotate(n=Sum("leads"))
        ):
            counts[channel_id, stage] += n
    for begin, end in ranges:
        leads = leads_visible_to(user).filter(acquired_at__gte=begin, acquired_at__lt=end)
        if channel:
            leads = leads.filter(channel__code=channel)
        for channel_id, stage, n in (
            leads.exclude(furthest_stage="")
            .order_by()
            .values_list("channel_id", "furthest_stage")
            .annotate(n=Count("id"))
        ):
            counts[channel_id, stage] += n
    return {key: n for key, n in counts.items() if n}


def _whole_utc_months(since: datetime, until: datetime) -> tuple[datetime, datetime] | None:
    """The first and the end of the whole UTC months within [since, until), if any."""
    start = since.astimezone(UTC)
    first = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if first < start:
        first = (first + timedelta(days=32)).replace(day=1)
    last = until.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first, last) if first < last else None


def funnel(user: User, period: Period, channel: str = "") -> list[dict[str, Any]]:
    """How many leads reached each stage of 初步接触 → 成交 (ANA-2): a lead counts for
    every stage up to the furthest it reached."""
    reached: dict[str, int] = defaultdict(int)
    for (_, stage), n in furthest_stages(user, period, channel).items():
        reached[stage] += n
    return [
        {"stage": stage, "label": str(Stage(stage).label), "count": count}
        for stage, count in _reached_at_least(reached).items()
    ]


def funnel_by_channel(user: User, period: Period) -> list[dict[str, Any]]:
    """The funnel of each channel (ANA-2, bench/funnel.py)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for (channel_id, stage), n in furthest_stages(user, period).items():
        counts[channel_id][stage] = n
    channels = Channel.objects.in_bulk(counts)
    result = []
    for channel_id, reached in counts.items():
        channel = channels[channel_id]
        result.append(
            {"channel": channel.code, "channel_name": channel.name, **_reached_at_least(reached)}
        )
    return sorted(result, key=lambda row: row["channel"])


def conversion(user: User, period: Period, by: str = "channel") -> list[dict[str, Any]]:
    """Leads, won leads, the conversion rate, the average order value and the median
    cycle (capture → won, days) per channel, campaign or rep (ANA-2, ANA-3)."""
    group = {"channel": "channel__name", "campaign": "campaign__name", "owner": "owner_id"}.get(by)
    if group is None:
        raise ValidationFailed(
            gettext("Unknown grouping."), fields={"by": f"{by!r} is not channel, campaign or owner"}
        )
    leads = leads_in(user, period)
    rows = (
        leads.order_by()
        .values(group)
        .annotate(
            leads=Count("id"),
            won=Count("id", filter=Q(stage=Stage.WON)),
            amount=Sum("deal_amount", filter=Q(stage=Stage.WON)),
            average=Avg("deal_amount", filter=Q(stage=Stage.WON)),
        )
        .order_by("-leads")
    )
    cycles: dict[Any, list[Decimal]] = defaultdict(list)
    for key, days in leads.filter(stage=Stage.WON, deal__isnull=False).values_list(
        group, "deal__cycle_days"
    ):
        cycles[key].append(days)
    names = (
        {user.pk: str(user) for user in User.objects.filter(pk__in=[r[group] for r in rows])}
        if by == "owner"
        else {}
    )
    result = []
    for row in rows:
        key = row[group]
        result.append(
            {
                "key": names.get(key, key) if by == "owner" else (key or "—"),
                "leads": row["leads"],
                "won": row["won"],
                "rate": round(row["won"] / row["leads"], 4) if row["leads"] else 0.0,
                "amount": (row["amount"] or Decimal(0)).quantize(Decimal("0.01")),
                "average_order": (row["average"] or Decimal(0)).quantize(Decimal("0.01")),
                "median_cycle_days": median(cycles[key]) if cycles[key] else None,
            }
        )
    return result


def followup_quality(user: User, period: Period, by: str = "rep") -> list[dict[str, Any]]:
    """Per rep or per team (ANA-1): first contact on time ÷ accepted, success (moved
    beyond 初步接触) ÷ followed up, follow-ups per followed lead."""
    group = {"rep": "owner_id", "team": "owner__team_id"}.get(by)
    if group is None:
        raise ValidationFailed(
            gettext("Unknown grouping."), fields={"by": f"{by!r} is not rep or team"}
        )
    leads = leads_in(user, period).filter(owner__isnull=False, accepted_at__isnull=False)
    late_first = FollowUpLapse.objects.filter(
        lead__in=leads, kind=FollowUpLapse.Kind.FIRST_CONTACT
    ).values("lead_id")
    rows = (
        leads.order_by()
        .values(group)
        .annotate(
            accepted=Count("id"),
            on_time=Count("id", filter=Q(first_contact_at__isnull=False) & ~Q(id__in=late_first)),
            followed=Count("id", filter=Q(first_contact_at__isnull=False)),
            beyond_first=Count(
                "id",
                filter=Q(first_contact_at__isnull=False) & Q(furthest_stage__in=FUNNEL[1:]),
            ),
        )
    )
    followups = dict(
        FollowUp.objects.filter(lead__in=leads)
        .order_by()
        .values_list(f"lead__{group}")
        .annotate(n=Count("id"))
        .values_list(f"lead__{group}", "n")
    )
    model = User if by == "rep" else Team
    names = {pk: str(obj) for pk, obj in model.objects.in_bulk([r[group] for r in rows]).items()}
    result = []
    for row in rows:
        key, followed = row[group], row["followed"]
        result.append(
            {
                "name": names.get(key, "—"),
                "accepted": row["accepted"],
                "on_time": row["on_time"],
                "timeliness": round(row["on_time"] / row["accepted"], 4)
                if row["accepted"]
                else 0.0,
                "followed": followed,
                "success": round(row["beyond_first"] / followed, 4) if followed else 0.0,
                "followups_per_lead": round(followups.get(key, 0) / followed, 2)
                if followed
                else 0.0,
            }
        )
    return sorted(result, key=lambda r: (-r["accepted"], r["name"]))


def leads_by_month(user: User, period: Period) -> list[dict[str, Any]]:
    """Leads per month of acquisition with their A/B/C quality (ANA-1)."""
    rows = (
        leads_in(user, period)
        .annotate(month=TruncMonth("acquired_at", tzinfo=company_zone()))
        .order_by()
        .values("month")
        .annotate(
            total=Count("id"),
            a=Count("id", filter=Q(grade="A")),
            b=Count("id", filter=Q(grade="B")),
            c=Count("id", filter=Q(grade="C")),
        )
        .order_by("month")
    )
    return [
        {
            "month": row["month"].strftime("%Y-%m"),
            "total": row["total"],
            "a": row["a"],
            "b": row["b"],
            "c": row["c"],
        }
        for row in rows
    ]


CYCLE_BUCKETS = ((0, 7), (7, 30), (30, 90), (90, 180), (180, None))


def cycle_distribution(user: User, period: Period) -> list[dict[str, Any]]:
    """How many won leads took how long from capture to win, in days (ANA-3)."""
    days = leads_in(user, period).filter(stage=Stage.WON, deal__isnull=False)
    rows = []
    for low, high in CYCLE_BUCKETS:
        bucket = days.filter(deal__cycle_days__gte=low)
        if high is not None:
            bucket = bucket.filter(deal__cycle_days__lt=high)
        label = f"{low}–{high}" if high is not None else f"{low}+"
        rows.append({"days": label, "won": bucket.count()})
    return rows


def month_at_a_glance(user: User, period: Period) -> dict[str, Any]:
    """The manager's two figures for the workbench, over the leads they may see acquired in
    the period: first contact on time ÷ accepted (ANA-1), and won ÷ leads (ANA-2). The same
    definitions as `followup_quality` and `conversion`, summed over everyone."""
    leads = leads_in(user, period)
    late_first = FollowUpLapse.objects.filter(
        lead__in=leads, kind=FollowUpLapse.Kind.FIRST_CONTACT
    ).values("lead_id")
    accepted = Q(owner__isnull=False, accepted_at__isnull=False)
    figures = leads.aggregate(
        leads=Count("id"),
        won=Count("id", filter=Q(stage=Stage.WON)),
        accepted=Count("id", filter=accepted),
        on_time=Count(
            "id", filter=accepted & Q(first_contact_at__isnull=False) & ~Q(id__in=late_first)
        ),
    )
    figures["timeliness"] = (
        round(figures["on_time"] / figures["accepted"], 4) if figures["accepted"] else None
    )
    figures["conversion"] = (
        round(figures["won"] / figures["leads"], 4) if figures["leads"] else None
    )
    return figures
