"""Sales targets (MKT-4): a year's figure for each measure, split into quarters and months
(evenly, by last year's shape, or by hand) and down the organisation, company →
department → team → rep. Splits round to the fen and still add up to their parent; a
parent whose children do not add up is flagged, and such a plan is not submitted. A level
(customer satisfaction, 1–5) is not split: each month and each child carries the year's
bar, and a child set below its parent's bar is flagged. A plan
is approved by management (kind sales_target) before it counts; a later approved version
replaces it. Actuals come from the records: contracts signed (or deals no contract
covers), receipts, profit of the signed contracts that carry a cost, customers won, and the
satisfaction of the customers the people own."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, F, Max, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import Department, Team, User
from leadflow.approvals.engine import approval_submit
from leadflow.approvals.kinds import Choice, YearVersionKind, register_kind
from leadflow.approvals.models import ApprovalRequest
from leadflow.core.audit import audit_record, register_action_labels
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.worktime import company_zone
from leadflow.customers.models import Customer

from .models import Contract, Deal, Receipt, Target, TargetPlan
from .permissions import SALES_TARGETS

CENTS = Decimal("0.01")
Measure, Period = Target.Measure, Target.Period
QUARTER_MONTHS = {q: (3 * q - 2, 3 * q - 1, 3 * q) for q in range(1, 5)}
register_action_labels(
    {
        "targets.drafted": _("drafted a version of the sales targets"),
        "targets.set": _("set a sales target in"),
    }
)
LEVELS = (Measure.SATISFACTION,)  # a bar every period and person meets, not a sum to share


def split_even(total: Decimal, parts: int) -> list[Decimal]:
    """`total` in `parts` equal shares to the fen; the leftover fen go one each to the
    first shares, so the shares add up to `total` exactly."""
    return split_by_shape(total, [Decimal(1)] * parts)


def split_by_shape(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` in proportion to `weights` (e.g. last year's months), rounded down to the
    fen, the leftover fen given to the largest remainders first (ties: earliest): the
    shares always add up to `total`. No weight at all: even shares."""
    weights = [Decimal(w) for w in weights]
    whole = sum(weights)
    if whole <= 0:
        weights, whole = [Decimal(1)] * len(weights), Decimal(len(weights))
    exact = [total * w / whole for w in weights]
    shares = [value.quantize(CENTS, rounding=ROUND_DOWN) for value in exact]
    left = int(((total - sum(shares)) / CENTS).to_integral_value())
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in order[:left]:
        shares[index] += CENTS
    return shares


# ----------------------------------------------------------------- keeping a plan


def _keeper(user) -> None:
    if not user.has_permission(SALES_TARGETS):
        raise Forbidden(gettext("Only management and sales managers keep the targets."))


@transaction.atomic
def target_plan_draft(
    *, year: int, by: User, note: str = "", copy: TargetPlan | None = None
) -> TargetPlan:
    """A new version of the year's targets, as a draft: empty, or a copy of a version."""
    _keeper(by)
    if not 2000 <= year <= 2100:
        raise ValidationFailed(
            gettext("The targets were not saved."), fields={"year": gettext("a year like 2027")}
        )
    last = TargetPlan.objects.filter(year=year).aggregate(last=Max("version"))["last"] or 0
    plan = TargetPlan.objects.create(
        year=year,
        version=last + 1,
        note=note.strip()[:500],
        created_by=by,
        created_at=timezone.now(),
    )
    if copy is not None:
        Target.objects.bulk_create(
            Target(
                plan=plan,
                measure=t.measure,
                department_id=t.department_id,
                team_id=t.team_id,
                user_id=t.user_id,
                period=t.period,
                index=t.index,
                amount=t.amount,
            )
            for t in copy.targets.all()
        )
    audit_record(actor=by, action="targets.drafted", obj=plan, extra={"year": year})
    return plan


@dataclass(frozen=True)
class Who:
    """The company (all None), or one department, team or rep."""

    department: Department | None = None
    team: Team | None = None
    user: User | None = None

    def lookup(self) -> dict[str, Any]:
        return {"department": self.department, "team": self.team, "user": self.user}

    def children(self) -> list["Who"]:
        """The next level down: departments under the company (the top ones), teams of a
        department, reps of a team."""
        if self.user is not None:
            return []
        if self.team is not None:
            return [
                Who(user=u)
                for u in User.objects.filter(team=self.team, is_active=True).order_by("id")
            ]
        if self.department is not None:
            below = Department.objects.filter(parent=self.department).order_by("id")
            teams = Team.objects.filter(department=self.department).order_by("id")
            return [Who(department=d) for d in below] + [Who(team=t) for t in teams]
        return [
            Who(department=d) for d in Department.objects.filter(parent__isnull=True).order_by("id")
        ]

    def __str__(self) -> str:
        return str(self.user or self.team or self.department or gettext("Company"))


def _draft(plan: TargetPlan) -> None:
    if plan.state != TargetPlan.State.DRAFT:
        raise Conflict(
            gettext("Only a draft version is changed: start a new version."),
            fields={"state": plan.state},
        )


def _amount(value: Any, field: str = "amount", *, measure: str = "") -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENTS)
    except (InvalidOperation, ValueError):
        raise ValidationFailed(
            gettext("The target was not saved."),
            fields={field: gettext("%(value)r is not an amount") % {"value": value}},
        ) from None
    if not Decimal(0) <= amount < Decimal("1e12"):
        raise ValidationFailed(
            gettext("The target was not saved."), fields={field: gettext("0 or more")}
        )
    if measure in LEVELS and amount > 5:
        raise ValidationFailed(
            gettext("The target was not saved."), fields={field: gettext("from 1 to 5")}
        )
    return amount


def _put(
    plan: TargetPlan, measure: str, who: Who, period: str, index: int, amount: Decimal
) -> None:
    Target.objects.update_or_create(
        plan=plan,
        measure=measure,
        period=period,
        index=index,
        **who.lookup(),
        defaults={"amount": amount},
    )


@transaction.atomic
def target_set(
    *,
    plan: TargetPlan,
    measure: str,
    who: Who,
    amount: Any,
    by: User,
    split: str = "even",
    shape: Sequence[Decimal] | None = None,
) -> Decimal:
    """The year's figure for one measure and one place in the organisation, and its split
    into quarters and months: "even", "shape" (`shape`: twelve monthly weights, e.g. last
    year's) or "none" (months set by hand later)."""
    _keeper(by)
    _draft(plan)
    if measure not in Measure.values:
        raise ValidationFailed(
            gettext("The target was not saved."), fields={"measure": gettext("choose a measure")}
        )
    year_amount = _amount(amount, measure=measure)
    _put(plan, measure, who, Period.YEAR, 0, year_amount)
    if split != "none":
        months = (
            [year_amount] * 12
            if measure in LEVELS
            else split_by_shape(year_amount, list(shape or []) or [Decimal(1)] * 12)
            if split == "shape"
            else split_even(year_amount, 12)
        )
        if len(months) != 12:
            raise ValidationFailed(
                gettext("The target was not saved."), fields={"shape": gettext("twelve months")}
            )
        for month, value in enumerate(months, start=1):
            _put(plan, measure, who, Period.MONTH, month, value)
        for quarter, members in QUARTER_MONTHS.items():
            quarter_amount = (
                year_amount
                if measure in LEVELS
                else sum((months[m - 1] for m in members), Decimal(0))
            )
            _put(plan, measure, who, Period.QUARTER, quarter, quarter_amount)
    audit_record(
        actor=by,
        action="targets.set",
        obj=plan,
        extra={"measure": measure, "who": str(who), "amount": str(year_amount)},
    )
    return year_amount


@transaction.atomic
def target_months_set(
    *, plan: TargetPlan, measure: str, who: Who, months: Sequence[Any], by: User
) -> list[Decimal]:
    """Twelve months set by hand for a place whose year figure is set; the quarters follow
    (a level's quarter: its lowest month). Months that do not add up to the year are
    flagged like any other mismatch, so such a plan is not submitted."""
    _keeper(by)
    _draft(plan)
    if not Target.objects.filter(
        plan=plan, measure=measure, period=Period.YEAR, index=0, **who.lookup()
    ).exists():
        raise ValidationFailed(gettext("Set the year's figure first."), fields={"who": str(who)})
    if len(months) != 12:
        raise ValidationFailed(
            gettext("The target was not saved."), fields={"months": gettext("twelve months")}
        )
    errors: dict[str, str] = {}
    amounts = []
    for number, value in enumerate(months, start=1):
        try:
            amounts.append(_amount(value, f"month_{number}", measure=measure))
        except ValidationFailed as refused:
            errors.update(refused.fields)
            amounts.append(Decimal(0))
    if errors:
        raise ValidationFailed(gettext("The target was not saved."), fields=errors)
    for number, amount in enumerate(amounts, start=1):
        _put(plan, measure, who, Period.MONTH, number, amount)
    for quarter, members in QUARTER_MONTHS.items():
        parts = [amounts[m - 1] for m in members]
        _put(
            plan,
            measure,
            who,
            Period.QUARTER,
            quarter,
            min(parts) if measure in LEVELS else sum(parts, Decimal(0)),
        )
    audit_record(
        actor=by,
        action="targets.set",
        obj=plan,
        extra={"measure": measure, "who": str(who), "months": [str(a) for a in amounts]},
    )
    return amounts


@transaction.atomic
def target_split_down(
    *, plan: TargetPlan, measure: str, who: Who, by: User
) -> list[tuple[Who, Decimal]]:
    """Split the year's figure of `who` evenly over the next level down (each then split
    evenly into months); what each gets adds up to the parent. A level is handed down as
    it is."""
    parent = Target.objects.filter(
        plan=plan, measure=measure, period=Period.YEAR, index=0, **who.lookup()
    ).first()
    if parent is None:
        raise ValidationFailed(gettext("Set the parent's figure first."), fields={"who": str(who)})
    children = who.children()
    if not children:
        raise ValidationFailed(gettext("Nobody to split it over."), fields={"who": str(who)})
    shares = (
        [parent.amount] * len(children)
        if measure in LEVELS
        else split_even(parent.amount, len(children))
    )
    for child, share in zip(children, shares, strict=True):
        target_set(plan=plan, measure=measure, who=child, amount=share, by=by)
    return list(zip(children, shares, strict=True))


def _who_of(target: Target) -> Who:
    return Who(department=target.department, team=target.team, user=target.user)


def _key(measure: str, who: Who) -> tuple:
    return (
        measure,
        who.department.pk if who.department else None,
        who.team.pk if who.team else None,
        who.user.pk if who.user else None,
    )


def _falls_short(measure: str, parent: Decimal, parts: list[Decimal]) -> Decimal | None:
    """What the parts come to when they do not match the parent: their sum when it is
    not the parent's, or for a level the lowest part below the parent's bar."""
    if measure in LEVELS:
        lowest = min(parts)
        return lowest if lowest < parent else None
    total = sum(parts, Decimal(0))
    return total if total != parent else None


def mismatches(plan: TargetPlan) -> list[dict[str, Any]]:
    """Every parent whose children's year figures (when it has any) or whose months do not
    add up to it (a level: fall below it): flagged, never silently accepted."""
    found = []
    years = {
        (t.measure, t.department_id, t.team_id, t.user_id): t
        for t in plan.targets.filter(period=Period.YEAR).select_related(
            "department", "team", "user"
        )
    }
    months: dict[tuple, list[Decimal]] = {}
    for t in plan.targets.filter(period=Period.MONTH):
        months.setdefault((t.measure, t.department_id, t.team_id, t.user_id), []).append(t.amount)
    for key, target in years.items():
        who = _who_of(target)
        kids = [
            years[_key(target.measure, child)].amount
            for child in who.children()
            if _key(target.measure, child) in years
        ]
        for kind, parts in (("months", months.get(key)), ("children", kids)):
            short = _falls_short(target.measure, target.amount, parts) if parts else None
            if short is not None:
                found.append({"target": target, "who": str(who), "children": short, "kind": kind})
    return found


@transaction.atomic
def target_plan_submit(*, plan: TargetPlan, by: User) -> ApprovalRequest:
    _keeper(by)
    _draft(plan)
    if not plan.targets.exists():
        raise ValidationFailed(
            gettext("Set the targets first."), fields={"targets": gettext("none yet")}
        )
    wrong = mismatches(plan)
    if wrong:
        raise ValidationFailed(
            gettext("Some figures do not add up to their parent."),
            fields={
                f"{row['target'].measure}.{row['who']}": gettext("%(children)s against %(parent)s")
                % {"children": row["children"], "parent": row["target"].amount}
                for row in wrong
            },
        )
    TargetPlan.objects.filter(pk=plan.pk).update(state=TargetPlan.State.PENDING)
    return approval_submit(
        kind="sales_target",
        subject=plan,
        by=by,
        reason=plan.note or gettext("Sales targets %(year)s") % {"year": plan.year},
        title=gettext("Sales targets %(year)s, version %(version)s")
        % {"year": plan.year, "version": plan.version},
    )


class TargetPlanKind(YearVersionKind):
    model = TargetPlan
    code = "sales_target"
    label = _("Sales targets")

    def snapshot(self, subject: TargetPlan, values: Any) -> dict[str, Any]:
        company = subject.targets.filter(period=Period.YEAR, department=None, team=None, user=None)
        return {
            "year": subject.year,
            "version": subject.version,
            "targets": {str(Measure(t.measure).label): str(t.amount) for t in company},
        }

    def amount(self, subject: TargetPlan, values: Any) -> Decimal | None:
        return None

    def visible_to(self, subject: TargetPlan, user) -> bool:
        return user.has_permission(SALES_TARGETS)

    def url(self, subject: TargetPlan) -> str:
        return f"/sales/targets/?year={subject.year}"

    def choices(self, subject: TargetPlan, by) -> list[Choice]:
        return []


register_kind(TargetPlanKind())


# ----------------------------------------------------------------- actual against target


def period_span(year: int, period: str, index: int) -> tuple[date, date]:
    """The first and last day of the year, quarter or month."""
    limits = {Period.YEAR: (0, 0), Period.QUARTER: (1, 4), Period.MONTH: (1, 12)}
    if period not in limits or not limits[Period(period)][0] <= index <= limits[Period(period)][1]:
        raise ValidationFailed(
            gettext("Unknown period."),
            fields={"period": gettext("year; quarter 1–4; or month 1–12")},
        )
    if not 2000 <= year <= 2100:
        raise ValidationFailed(
            gettext("Unknown period."), fields={"year": gettext("a year like 2027")}
        )
    if period == Period.YEAR:
        return date(year, 1, 1), date(year, 12, 31)
    first_month, last_month = (
        (QUARTER_MONTHS[index][0], QUARTER_MONTHS[index][-1])
        if period == Period.QUARTER
        else (index, index)
    )
    last_day = date(year + (last_month == 12), last_month % 12 + 1, 1) - date.resolution
    return date(year, first_month, 1), last_day


def _people(who: Who) -> list[int] | None:
    """The reps a place covers (None: the whole company)."""
    if who.user is not None:
        return [who.user.pk]
    if who.team is not None:
        return list(User.objects.filter(team=who.team).values_list("pk", flat=True))
    if who.department is not None:
        return list(
            User.objects.filter(department__path__startswith=who.department.path).values_list(
                "pk", flat=True
            )
        )
    return None


def _rated(people: list[int] | None) -> QuerySet[Customer]:
    rated = Customer.objects.filter(satisfaction__isnull=False)
    return rated if people is None else rated.filter(owner_id__in=people)


def satisfaction(who: Who) -> Decimal | None:
    """The average satisfaction (1–5) of the customers the people own, as last recorded;
    None when none has been recorded."""
    average = _rated(_people(who)).aggregate(a=Avg("satisfaction"))["a"]
    return None if average is None else Decimal(str(average)).quantize(CENTS)


def _by_owner(queryset: QuerySet, owner: str, value) -> dict[int | None, Decimal]:
    rows = queryset.order_by().values(who=F(owner)).annotate(value=value)
    return {row["who"]: Decimal(str(row["value"] or 0)) for row in rows}


def actual_by_owner(
    measure: str, start: date, end: date, people: list[int] | None = None
) -> dict[int | None, Decimal]:
    """What each owner did in [start, end], one grouped query per kind of record (owners
    with nothing done are left out); `people` limits it to those owners."""

    def mine(queryset: QuerySet, field: str = "owner_id") -> QuerySet:
        return queryset if people is None else queryset.filter(**{f"{field}__in": people})

    in_force = Contract.objects.filter(state__in=Contract.IN_FORCE)
    if measure == Measure.SALES:
        contracted = _by_owner(
            mine(in_force.filter(signed_on__range=(start, end))), "owner_id", Sum("amount")
        )
        covered = in_force.exclude(deal__isnull=True).values("deal_id")
        dealt = _by_owner(
            mine(Deal.objects.filter(signed_on__range=(start, end)).exclude(pk__in=covered)),
            "owner_id",
            Sum("amount"),
        )
        return {
            owner: (contracted.get(owner, Decimal(0)) + dealt.get(owner, Decimal(0))).quantize(
                CENTS
            )
            for owner in contracted.keys() | dealt.keys()
        }
    if measure == Measure.PROFIT:
        costed = in_force.filter(signed_on__range=(start, end), cost__isnull=False)
        found = _by_owner(mine(costed), "owner_id", Sum(F("amount") - F("cost")))
    elif measure == Measure.RECEIVED:
        receipts = Receipt.objects.filter(received_on__range=(start, end))
        found = _by_owner(mine(receipts, "contract__owner_id"), "contract__owner_id", Sum("amount"))
    elif measure == Measure.SATISFACTION:
        found = _by_owner(_rated(people), "owner_id", Avg("satisfaction"))
    else:
        # The company's days as moments: a range on created_at, not a date cast per row.
        zone = company_zone()
        created = Customer.objects.filter(
            created_at__gte=datetime.combine(start, time.min, tzinfo=zone),
            created_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
        )
        return _by_owner(mine(created), "owner_id", Count("id"))
    return {owner: value.quantize(CENTS) for owner, value in found.items()}


def actual(measure: str, who: Who, start: date, end: date) -> Decimal:
    """What was done in [start, end] by the people `who` covers (owners of the records)."""
    if measure == Measure.SATISFACTION:
        return satisfaction(who) or Decimal(0)
    nothing = Decimal(0) if measure == Measure.NEW_CUSTOMERS else Decimal("0.00")
    return sum(actual_by_owner(measure, start, end, _people(who)).values(), nothing)


@dataclass(frozen=True)
class Progress:
    who: Who
    target: Decimal
    actual: Decimal

    @property
    def completion(self) -> Decimal | None:
        """进度: percent of the target done."""
        return (self.actual * 100 / self.target).quantize(Decimal("0.1")) if self.target else None


def time_elapsed(start: date, end: date, today: date) -> Decimal:
    """时间进度: percent of the period's days gone, today counted."""
    if today < start:
        return Decimal(0)
    if today >= end:
        return Decimal(100)
    return (Decimal((today - start).days + 1) * 100 / ((end - start).days + 1)).quantize(
        Decimal("0.1")
    )


def last_years_shape(measure: str, who: Who, year: int) -> list[Decimal]:
    """What `who` did in each month of the year before: the weights of a split "by last
    year's shape"."""
    return [
        actual(measure, who, *period_span(year - 1, Period.MONTH, month)) for month in range(1, 13)
    ]


def plan_in_force(year: int) -> TargetPlan | None:
    return TargetPlan.objects.filter(year=year, state=TargetPlan.State.APPROVED).first()


def progress_rows(
    plan: TargetPlan, measure: str, period: str, index: int, viewer: User
) -> list[Progress]:
    """Target against actual for every place of the plan the viewer may see: a rep their
    own, a manager their department's, management everything (the data scope)."""
    start, end = period_span(plan.year, period, index)
    rows = []
    for target in plan.targets.filter(measure=measure, period=period, index=index).select_related(
        "department", "team", "user"
    ):
        who = _who_of(target)
        if not _sees(viewer, who):
            continue
        rows.append(Progress(who, target.amount, actual(measure, who, start, end)))
    return rows


def _sees(viewer: User, who: Who) -> bool:
    scope = viewer.data_scope
    if scope == "all":
        return True
    if who.user is not None:
        if who.user.pk == viewer.pk:
            return True
        if scope == "team":
            return who.user.team_id is not None and who.user.team_id == viewer.team_id
        if scope == "department" and viewer.department is not None:
            return who.user.department is not None and who.user.department.path.startswith(
                viewer.department.path
            )
        return False
    if scope == "team":
        return who.team is not None and who.team.pk == viewer.team_id
    if scope == "department" and viewer.department is not None:
        department = who.department or (who.team.department if who.team else None)
        return department is not None and department.path.startswith(viewer.department.path)
    return False


def today_in(now: datetime | None = None) -> date:
    return timezone.localdate(now)


def my_month(user: User, today: date, measure: str = Measure.SALES) -> dict[str, Any] | None:
    """The user's own target for this month in the plan in force, what they have done and
    how much of the month is gone (the rep's workbench); None without a target."""
    plan = plan_in_force(today.year)
    if plan is None:
        return None
    target = plan.targets.filter(
        measure=measure, period=Period.MONTH, index=today.month, user=user
    ).first()
    if target is None:
        return None
    start, end = period_span(today.year, Period.MONTH, today.month)
    done = Progress(Who(user=user), target.amount, actual(measure, Who(user=user), start, end))
    return {"progress": done, "elapsed": time_elapsed(start, end, today)}
