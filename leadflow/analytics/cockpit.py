"""管理驾驶舱 (#26, ANA-6): one page for management — this month against target and against
the same days last year, the funnel, the strongest and weakest channels, overdue
receivables, complaint timeliness and the five biggest risks — each figure linking to its
list. It reads within the viewer's data scope: management sees the company, a manager
their department or team, a rep their own figures (the same `Who` the sales targets use).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext

from leadflow.accounts.models import User
from leadflow.approvals.models import ApprovalRequest, ApprovalTask
from leadflow.approvals.queries import requests_visible_to
from leadflow.customers.models import Customer
from leadflow.customers.queries import customers_visible_to
from leadflow.sales.contracts import contracts_visible_to
from leadflow.sales.models import Contract, Instalment, Receipt, Target
from leadflow.sales.targets import Who, actual, plan_in_force
from leadflow.service.models import Ticket, TicketClock
from leadflow.service.tickets import tickets_visible_to

from .marketing import efficiency
from .queries import Period, funnel, leads_in

MEASURES = (Target.Measure.SALES, Target.Measure.RECEIVED, Target.Measure.NEW_CUSTOMERS)
CHANNEL_DAYS = 30  # channels are compared over the last 30 days (the marketing page: any period)


def viewer_place(user: User) -> Who:
    """Where the viewer's figures come from: the company, their department, team or self."""
    scope = user.data_scope
    if scope == "all":
        return Who()
    if scope == "department" and user.department is not None:
        return Who(department=user.department)
    if scope == "team" and user.team is not None:
        return Who(team=user.team)
    return Who(user=user)


def _same_days_last_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Tile:
    measure: str
    label: str
    actual: Decimal
    target: Decimal | None
    last_year: Decimal
    link: str

    @property
    def completion(self) -> Decimal | None:
        return (self.actual * 100 / self.target).quantize(Decimal("0.1")) if self.target else None

    @property
    def change(self) -> Decimal | None:
        """Against the same days last year, in percent."""
        if not self.last_year:
            return None
        return ((self.actual - self.last_year) * 100 / self.last_year).quantize(Decimal("0.1"))


def month_tiles(user: User, today: date) -> list[Tile]:
    """Sales signed, received and new customers this month: target, last year."""
    place = viewer_place(user)
    start = today.replace(day=1)
    plan = plan_in_force(today.year)
    targets = {}
    if plan is not None:
        targets = dict(
            plan.targets.filter(
                period=Target.Period.MONTH, index=today.month, **place.lookup()
            ).values_list("measure", "amount")
        )
    links = {
        Target.Measure.SALES: reverse("contracts"),
        Target.Measure.RECEIVED: reverse("receivables"),
        Target.Measure.NEW_CUSTOMERS: reverse("customers"),
    }
    labels = dict(Target.Measure.choices)
    return [
        Tile(
            measure=measure,
            label=str(labels[measure]),
            actual=actual(measure, place, start, today),
            target=targets.get(measure),
            last_year=actual(
                measure, place, _same_days_last_year(start), _same_days_last_year(today)
            ),
            link=links[measure],
        )
        for measure in MEASURES
    ]


def grades_this_month(user: User, today: date) -> list[dict[str, Any]]:
    """Leads acquired this month by grade, beside the same days last year."""
    this = Period(today.replace(day=1), today)
    last = Period(_same_days_last_year(this.start), _same_days_last_year(today))

    def by_grade(period: Period) -> dict[str, int]:
        rows = leads_in(user, period).order_by().values("grade").annotate(n=Count("id"))
        return {row["grade"] or "—": row["n"] for row in rows}

    now, before = by_grade(this), by_grade(last)
    leads = reverse("leads")
    return [
        {
            "grade": grade,
            "count": now.get(grade, 0),
            "last_year": before.get(grade, 0),
            "link": f"{leads}?grade={grade}",
        }
        for grade in ("A", "B", "C")
    ]


def overdue_receivables(user: User, today: date) -> dict[str, Any]:
    """Instalments of the viewer's contracts in force, due before today and not fully
    received: how many, how much is outstanding, the oldest due date."""
    received = (
        Receipt.objects.filter(instalment=OuterRef("pk"))
        .order_by()
        .values("instalment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=14, decimal_places=2))
    due = (
        Instalment.objects.filter(
            contract__in=contracts_visible_to(user).filter(state__in=Contract.IN_FORCE),
            due_on__lt=today,
        )
        .annotate(paid=Coalesce(Subquery(received), zero))
        .filter(paid__lt=F("amount"))
    )
    outstanding = Decimal(0)
    count, oldest = 0, None
    for amount, paid, due_on in due.values_list("amount", "paid", "due_on"):
        outstanding += amount - paid
        count += 1
        oldest = due_on if oldest is None or due_on < oldest else oldest
    return {
        "count": count,
        "outstanding": outstanding.quantize(Decimal("0.01")),
        "oldest": oldest,
        "link": reverse("receivables"),
    }


def complaint_timeliness(user: User, today: date) -> dict[str, Any]:
    """This month's complaints and their deadlines: met on time ÷ ended."""
    start, _end = Period(today.replace(day=1), today).bounds()
    complaints = tickets_visible_to(user).filter(kind=Ticket.Kind.COMPLAINT, received_at__gte=start)
    clocks = TicketClock.objects.filter(ticket__in=complaints).aggregate(
        ended=Count("id", filter=Q(met_at__isnull=False) | Q(missed_at__isnull=False)),
        missed=Count("id", filter=Q(missed_at__isnull=False)),
    )
    ended = clocks["ended"]
    return {
        "complaints": complaints.count(),
        "ended": ended,
        "on_time": ended - clocks["missed"],
        "rate": round((ended - clocks["missed"]) / ended, 4) if ended else None,
        "link": f"{reverse('tickets')}?kind=complaint",
    }


def biggest_risks(user: User, now: datetime, limit: int = 5) -> list[dict[str, Any]]:
    """The five biggest risks: key accounts with a churn warning (largest expected sales
    first) and approvals past their deadline (longest overdue first)."""
    risks: list[dict[str, Any]] = []
    warned = (
        customers_visible_to(user)
        .filter(category=Customer.Category.KEY, risk_since__isnull=False)
        .order_by(Coalesce("expected_annual_sales", Value(Decimal(0))).desc(), "risk_since")
        .values("pk", "name", "risk_since", "expected_annual_sales")[:limit]
    )
    for customer in warned:
        risks.append(
            {
                "kind": gettext("Key account at risk"),
                "what": customer["name"],
                "since": customer["risk_since"],
                "link": reverse("customer", args=[customer["pk"]]),
            }
        )
    late = (
        ApprovalTask.objects.filter(
            state=ApprovalTask.State.WAITING,
            request__state=ApprovalRequest.State.PENDING,
            request__in=requests_visible_to(user),
            due_at__lt=now,
        )
        .select_related("request", "approver")
        .order_by("due_at")[:limit]
    )
    for task in late:
        risks.append(
            {
                "kind": gettext("Approval overdue"),
                "what": f"{task.request} · {task.approver}",
                "since": task.due_at,
                "link": reverse("approval", args=[task.request_id]),
            }
        )
    return sorted(risks, key=lambda risk: risk["since"])[:limit]


def cockpit(user: User, now: datetime, today: date) -> dict[str, Any]:
    """Every figure of the cockpit, in the viewer's scope."""
    month = Period(today.replace(day=1), today)
    channels = efficiency(user, Period(today - timedelta(days=CHANNEL_DAYS), today), "channel")
    compared = [row for row in channels if row["leads"] >= 10] or channels
    return {
        "place": viewer_place(user),
        "tiles": month_tiles(user, today),
        "grades": grades_this_month(user, today),
        "funnel": funnel(user, month),
        "top_channels": compared[:3],
        "bottom_channels": compared[-3:][::-1] if len(compared) > 3 else [],
        "receivables": overdue_receivables(user, today),
        "complaints": complaint_timeliness(user, today),
        "risks": biggest_risks(user, now),
        "channel_days": CHANNEL_DAYS,
    }
