"""Staff performance (MKT-7): each rep's month, computed from the records (sales signed,
received, profit, new customers, leads accepted in time, first-contact timeliness,
follow-ups, their customers' satisfaction, leads and sales from the campaigns they own),
scored by the scheme (PerformanceMeasure rows: weight and what each is scored
against, credit capped), ranked with ties sharing a rank (1, 1, 3), awards proposed by
rule and confirmed by a manager. A closed month is frozen: what changes in it later shows
as an adjustment in the next month, never by rewriting it."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.accounts.scope import scope_filter
from leadflow.core.audit import audit_record, register_action_labels
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.leads.models import FollowUp, FollowUpLapse, LeadAssignment, LeadStatus
from leadflow.leads.queries import campaign_leads
from leadflow.marketing.models import Campaign
from leadflow.sales.models import Target
from leadflow.sales.permissions import SALES_TARGETS
from leadflow.sales.targets import actual_by_owner, period_span, plan_in_force

from .models import Award, MonthClose, MonthResult, PerformanceMeasure

CENTS = Decimal("0.01")
NEWCOMER_DAYS = 180
register_action_labels(
    {
        "performance.scheme": _("changed the performance scoring scheme"),
        "performance.closed": _("closed the month of staff performance"),
        "performance.award": _("decided an award"),
    }
)
# Every figure a month computes, in the order shown; a scheme's measure scores one of them.
FIGURES = {
    "sales": _("Sales signed (元)"),
    "received": _("Amount received (元)"),
    "profit": _("Profit (元)"),
    "new_customers": _("New customers"),
    "accepted_in_time": _("Leads accepted in time (%)"),
    "first_contact": _("First contact on time (%)"),
    "followups": _("Follow-ups"),
    "satisfaction": _("Customer satisfaction (1–5)"),
    "campaign_leads": _("Leads from own campaigns"),
    "campaign_sales": _("Sales from own campaigns (元)"),
}


def month_of(text: str, today: date) -> date:
    """ "2026-03" as its first day; the previous month when not given or not a month."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _span(month: date) -> tuple[datetime, datetime]:
    start, end = period_span(month.year, "month", month.month)
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, datetime.min.time(), tzinfo=zone),
        datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=zone),
    )


def reps() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__code="sales_rep").select_related("team")


def _percent(part: int, whole: int) -> Decimal | None:
    return (Decimal(max(part, 0)) * 100 / whole).quantize(CENTS) if whole else None


def _counts(queryset: QuerySet, owner: str, **counts: Count) -> dict[int, dict[str, int]]:
    rows = queryset.order_by().values(who=F(owner)).annotate(**counts)
    return {row.pop("who"): row for row in rows}


def month_figures_of(people: list[int], month: date) -> dict[int, dict[str, Decimal | None]]:
    """The month's figures of each of these reps, from the records (None: nothing to
    measure): one grouped query per kind of record, however many reps."""
    start, end = period_span(month.year, "month", month.month)
    since, until = _span(month)
    money = {
        measure: actual_by_owner(measure, start, end, people)
        for measure in ("sales", "received", "profit", "new_customers", "satisfaction")
    }
    assignments = _counts(
        LeadAssignment.objects.filter(rep_id__in=people, at__gte=since, at__lt=until),
        "rep_id",
        accepted=Count("id", filter=Q(accepted_at__isnull=False)),
        # Neither accepted nor declined, and no longer waiting for them: taken away.
        unanswered=Count(
            "id",
            filter=Q(accepted_at__isnull=True, declined_at__isnull=True)
            & ~Q(lead__owner_id=F("rep_id"), lead__status=LeadStatus.ASSIGNED),
        ),
    )
    late_first = _counts(
        FollowUpLapse.objects.filter(
            rep_id__in=people,
            kind=FollowUpLapse.Kind.FIRST_CONTACT,
            due_at__gte=since,
            due_at__lt=until,
        ),
        "rep_id",
        n=Count("id"),
    )
    followups = _counts(
        FollowUp.objects.filter(by_id__in=people, contact_at__gte=since, contact_at__lt=until),
        "by_id",
        n=Count("id"),
    )
    from_campaigns = campaign_leads(
        list(Campaign.objects.filter(owner_id__in=people).values_list("pk", flat=True))
    )
    campaigns = _counts(
        from_campaigns,
        "campaign__owner_id",
        leads=Count("id", filter=Q(acquired_at__gte=since, acquired_at__lt=until)),
    )
    campaign_sales = {
        row["who"]: row["total"]
        for row in from_campaigns.filter(deal__signed_on__range=(start, end))
        .order_by()
        .values(who=F("campaign__owner_id"))
        .annotate(total=Sum("deal__amount"))
    }
    figures = {}
    for person in people:
        given = assignments.get(person, {"accepted": 0, "unanswered": 0})
        accepted = given["accepted"]
        figures[person] = {
            "sales": money["sales"].get(person, Decimal("0.00")),
            "received": money["received"].get(person, Decimal("0.00")),
            "profit": money["profit"].get(person, Decimal("0.00")),
            "new_customers": money["new_customers"].get(person, Decimal(0)),
            "accepted_in_time": _percent(accepted, accepted + given["unanswered"]),
            "first_contact": _percent(accepted - late_first.get(person, {"n": 0})["n"], accepted),
            "followups": Decimal(followups.get(person, {"n": 0})["n"]),
            "satisfaction": money["satisfaction"].get(person),
            "campaign_leads": Decimal(campaigns.get(person, {"leads": 0})["leads"]),
            "campaign_sales": (campaign_sales.get(person) or Decimal(0)).quantize(CENTS),
        }
    return figures


def _targets(month: date) -> dict[tuple[str, int | None], Decimal]:
    plan = plan_in_force(month.year)
    if plan is None:
        return {}
    rows = Target.objects.filter(plan=plan, period="month", index=month.month, user__isnull=False)
    return {(t.measure, t.user_id): t.amount for t in rows}


def points(figures: dict[str, Any], user: User, month_targets: dict, scheme) -> dict[str, Any]:
    """weight × actual / target, capped at cap_percent; None when there is no target."""
    scored: dict[str, Any] = {}
    for measure in scheme:
        value = figures.get(measure.code)
        target = (
            month_targets.get((measure.code, user.pk))
            if measure.target_from == PerformanceMeasure.TargetFrom.TARGETS
            else measure.target
        )
        if value is None or not target:
            scored[measure.code] = None
            continue
        ratio = min(Decimal(value) / Decimal(target), Decimal(measure.cap_percent) / 100)
        scored[measure.code] = str((measure.weight * ratio).quantize(CENTS))
    return scored


def ranks(scores: list[tuple[Any, Decimal]]) -> dict[Any, int]:
    """Competition ranking: equal scores share a rank, the next rank skips (1, 1, 3)."""
    ordered = sorted(scores, key=lambda item: -item[1])
    found: dict[Any, int] = {}
    for position, (key, score) in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        found[key] = found[previous[0]] if previous and previous[1] == score else position
    return found


def _keeper(user) -> None:
    if not user.has_permission(SALES_TARGETS):
        raise Forbidden(gettext("Only management and sales managers run the monthly results."))


def _plain(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: None if v is None else str(v) for k, v in figures.items()}


@dataclass(frozen=True)
class MeasureIn:
    code: str
    weight: Any
    target_from: str = PerformanceMeasure.TargetFrom.FIXED
    target: Any = 0
    cap_percent: Any = 120
    active: bool = True


def _whole(value: Any, field: str, low: int, high: int, errors: dict[str, str]) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        errors[field] = gettext("a whole number from %(low)s to %(high)s") % {
            "low": low,
            "high": high,
        }
    return number


@transaction.atomic
def scheme_save(*, rows: list[MeasureIn], by: User) -> list[PerformanceMeasure]:
    """The scoring scheme as management sets it: one row per figure scored, its weight,
    and what it is scored against (the rep's monthly target of the same measure, or a
    fixed figure), with the credit capped. Months already closed keep their scores."""
    _keeper(by)
    errors: dict[str, str] = {}
    clean = []
    for row in rows:
        field = row.code
        if row.code not in FIGURES:
            errors[field or "code"] = gettext("choose a figure")
            continue
        weight = _whole(row.weight, f"{field}.weight", 0, 100, errors)
        cap = _whole(row.cap_percent, f"{field}.cap_percent", 100, 300, errors)
        if row.target_from not in PerformanceMeasure.TargetFrom.values:
            errors[f"{field}.target_from"] = gettext("choose what it is scored against")
        elif row.target_from == PerformanceMeasure.TargetFrom.TARGETS and (
            row.code not in Target.Measure.values
        ):
            errors[f"{field}.target_from"] = gettext("sales targets do not have this measure")
        try:
            target = Decimal(str(row.target or 0)).quantize(CENTS)
        except InvalidOperation:
            target = Decimal(-1)
        if row.target_from == PerformanceMeasure.TargetFrom.FIXED and not (
            Decimal(0) < target < Decimal("1e12")
        ):
            errors[f"{field}.target"] = gettext("an amount above 0")
        clean.append((row.code, weight, row.target_from, target, cap, bool(row.active)))
    codes = [code for code, *_ in clean]
    if len(set(codes)) != len(codes):
        errors["code"] = gettext("each figure once")
    if errors:
        raise ValidationFailed(gettext("The scheme was not saved."), fields=errors)
    saved = []
    for code, weight, target_from, target, cap, active in clean:
        measure, _created = PerformanceMeasure.objects.update_or_create(
            code=code,
            defaults={
                "name": str(FIGURES[code]),
                "weight": weight,
                "target_from": target_from,
                "target": target,
                "cap_percent": cap,
                "active": active and weight > 0,
            },
        )
        saved.append(measure)
    audit_record(
        actor=by,
        action="performance.scheme",
        obj=saved[0] if saved else None,
        extra={m.name: m.weight for m in saved if m.active},
    )
    return saved


@transaction.atomic
def month_compute(*, month: date, by: User | None = None) -> list[MonthResult]:
    """Compute (or recompute) a month not yet closed, every rep's result and rank; a
    closed month before it gives its later changes as adjustments."""
    if by is not None:
        _keeper(by)
    if MonthClose.objects.filter(month=month).exists():
        raise Conflict(
            gettext("%(month)s is closed: its figures are frozen.") % {"month": f"{month:%Y-%m}"},
            fields={"month": f"{month:%Y-%m}"},
        )
    previous = (month - timedelta(days=1)).replace(day=1)
    frozen = (
        {r.user_id: r.figures for r in MonthResult.objects.filter(month=previous)}
        if MonthClose.objects.filter(month=previous).exists()
        else {}
    )
    # Locking the scheme makes two computations of a month take turns.
    scheme = list(PerformanceMeasure.objects.select_for_update().filter(active=True))
    month_targets = _targets(month)
    now = timezone.now()
    people = list(reps())
    figures = month_figures_of([user.pk for user in people], month)
    again = month_figures_of(list(frozen), previous) if frozen else {}
    results = []
    for user in people:
        scored = points(figures[user.pk], user, month_targets, scheme)
        score = sum((Decimal(p) for p in scored.values() if p is not None), Decimal(0))
        later = _plain(again.get(user.pk, {}))
        adjustments = {
            code: str(Decimal(later[code]) - Decimal(old))
            for code, old in frozen.get(user.pk, {}).items()
            if old is not None and later.get(code) not in (None, old)
        }
        results.append(
            MonthResult(
                month=month,
                user=user,
                figures=_plain(figures[user.pk]),
                points=scored,
                adjustments=adjustments,
                score=score.quantize(CENTS),
                rank=0,
                computed_at=now,
            )
        )
    company = ranks([(r.user_id, r.score) for r in results])
    teams: dict[int | None, list[MonthResult]] = {}
    for result in results:
        teams.setdefault(result.user.team_id, []).append(result)
    for members in teams.values():
        in_team = ranks([(r.user_id, r.score) for r in members])
        for result in members:
            result.rank, result.team_rank = company[result.user_id], in_team[result.user_id]
    MonthResult.objects.filter(month=month).delete()
    MonthResult.objects.bulk_create(results, batch_size=500)
    return sorted(results, key=lambda r: (r.rank, r.user_id))


@transaction.atomic
def month_close(*, month: date, by: User) -> MonthClose:
    """Compute the month a last time and freeze it; its awards are proposed."""
    _keeper(by)
    if month >= timezone.localdate().replace(day=1):
        raise ValidationFailed(
            gettext("Only a month that has ended is closed."), fields={"month": f"{month:%Y-%m}"}
        )
    results = month_compute(month=month, by=by)
    closed = MonthClose.objects.create(month=month, closed_at=timezone.now(), by=by)
    awards_propose(month, results)
    audit_record(
        actor=by, action="performance.closed", obj=closed, extra={"month": f"{month:%Y-%m}"}
    )
    return closed


def awards_propose(month: date, results: list[MonthResult]) -> list[Award]:
    """销售冠军: the most sales among those at or above their sales target (ties: each).
    最佳新人: the best score among those who joined in the last 180 days."""
    targets = _targets(month)
    proposed = []
    reached = [
        r
        for r in results
        if targets.get(("sales", r.user_id))
        and Decimal(r.figures["sales"]) >= targets[("sales", r.user_id)]
    ]
    if reached:
        best = max(Decimal(r.figures["sales"]) for r in reached)
        for result in reached:
            if Decimal(result.figures["sales"]) == best:
                proposed.append(
                    (
                        result.user,
                        Award.Kind.SALES_CHAMPION,
                        gettext("Sales %(sales)s, at or above target") % {"sales": best},
                    )
                )
    end = period_span(month.year, "month", month.month)[1]
    newcomers = [
        r for r in results if r.user.date_joined.date() >= end - timedelta(days=NEWCOMER_DAYS)
    ]
    if newcomers:
        best_score = max(r.score for r in newcomers)
        for result in newcomers:
            if result.score == best_score and best_score > 0:
                proposed.append(
                    (
                        result.user,
                        Award.Kind.BEST_NEWCOMER,
                        gettext("Score %(score)s") % {"score": best_score},
                    )
                )
    return [
        Award.objects.get_or_create(
            month=month, kind=kind, user=user, defaults={"reason": reason[:200]}
        )[0]
        for user, kind, reason in proposed
    ]


@transaction.atomic
def award_decide(*, award: Award, by: User, confirm: bool) -> Award:
    _keeper(by)
    taken = Award.objects.filter(pk=award.pk, state=Award.State.PROPOSED).update(
        state=Award.State.CONFIRMED if confirm else Award.State.REJECTED,
        decided_by=by,
        decided_at=timezone.now(),
    )
    if taken != 1:
        raise Conflict(gettext("This award was decided already."), fields={"award": str(award.pk)})
    award.refresh_from_db()
    audit_record(actor=by, action="performance.award", obj=award, extra={"confirmed": confirm})
    return award


def results_visible_to(viewer: User, month: date) -> QuerySet[MonthResult]:
    """A rep sees their own line; a manager their scope; management everything."""
    return (
        MonthResult.objects.filter(month=month)
        .filter(scope_filter(viewer, owner_field="user"))
        .select_related("user", "user__team")
        .order_by("rank", "user_id")
    )
