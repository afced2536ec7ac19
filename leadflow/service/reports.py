"""Service reports (SVC-3, ANA-4): for the tickets a viewer may see, received in a period,
per agent or per responsible department — response and solution timeliness (deadlines met
on time ÷ deadlines ended), resolution rate (closed ÷ received), reopen rate (reopened ÷
closed), satisfaction (average and 1–5 distribution of the answers to their surveys) —
and complaints per category, per root cause and per 100 customers; on the customer side,
new customers, key accounts, customers at risk and repeat buyers."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext

from leadflow.customers.queries import customers_visible_to
from leadflow.sales.queries import customer_orders

from .models import Survey, Ticket, TicketClock
from .tickets import tickets_visible_to

FIRST = (TicketClock.Kind.CONTACT, TicketClock.Kind.RESPONSE)


@dataclass(frozen=True)
class Span:
    start: date
    end: date  # inclusive

    @property
    def moments(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


def _ended(clocks: list[dict]) -> tuple[int, int]:
    """(met on time, ended) of these clocks."""
    ended = [c for c in clocks if c["met_at"] or c["missed_at"]]
    return sum(1 for c in ended if not c["missed_at"]), len(ended)


def service_rows(viewer, span: Span, by: str = "agent") -> list[dict[str, Any]]:
    """One row per agent (who took the ticket in) or responsible department."""
    group = {"agent": "received_by", "department": "department"}[by]
    since, until = span.moments
    tickets = list(
        tickets_visible_to(viewer)
        .filter(received_at__gte=since, received_at__lt=until)
        .values("id", "kind", "state", "reopened", f"{group}_id")
    )
    clocks: dict[int, list[Any]] = defaultdict(list)
    for clock in TicketClock.objects.filter(ticket_id__in=[t["id"] for t in tickets]).values(
        "ticket_id", "kind", "met_at", "missed_at"
    ):
        clocks[clock["ticket_id"]].append(clock)
    scores: dict[int | None, list[int]] = defaultdict(list)
    for ticket_id, score in Survey.objects.filter(
        ticket_id__in=[t["id"] for t in tickets], score__isnull=False
    ).values_list("ticket_id", "score"):
        scores[ticket_id].append(score or 0)
    grouped: dict[Any, list[dict]] = defaultdict(list)
    for ticket in tickets:
        grouped[ticket[f"{group}_id"]].append(ticket)
    names = _names(by, [key for key in grouped if key is not None])
    rows = []
    for key, members in grouped.items():
        first = [c for t in members for c in clocks[t["id"]] if c["kind"] in FIRST]
        solution = [
            c for t in members for c in clocks[t["id"]] if c["kind"] == TicketClock.Kind.SOLUTION
        ]
        closed = [t for t in members if t["state"] == Ticket.State.CLOSED]
        answers = [score for t in members for score in scores[t["id"]]]
        rows.append(
            {
                "key": names.get(key, "—"),
                "received": len(members),
                "complaints": sum(1 for t in members if t["kind"] == Ticket.Kind.COMPLAINT),
                "response_rate": _rate(*_ended(first)),
                "solution_rate": _rate(*_ended(solution)),
                "resolution_rate": _rate(len(closed), len(members)),
                "reopen_rate": _rate(sum(1 for t in closed if t["reopened"]), len(closed)),
                "satisfaction": (
                    (Decimal(sum(answers)) / len(answers)).quantize(Decimal("0.01"))
                    if answers
                    else None
                ),
                "answers": len(answers),
            }
        )
    return sorted(rows, key=lambda row: (-row["received"], str(row["key"])))


def _names(by: str, keys: list[int]) -> dict[int, str]:
    from leadflow.accounts.models import Department, User

    model = User if by == "agent" else Department
    return {item.pk: str(item) for item in model.objects.filter(pk__in=keys)}


def complaint_breakdown(viewer, span: Span) -> dict[str, Any]:
    """Complaints per category and root cause, per 100 customers; the satisfaction
    distribution of the period's answers."""
    since, until = span.moments
    complaints = tickets_visible_to(viewer).filter(
        kind=Ticket.Kind.COMPLAINT, received_at__gte=since, received_at__lt=until
    )
    by_category = list(
        complaints.values("category__name").annotate(n=Count("id")).order_by("-n", "category__name")
    )
    by_cause = list(
        complaints.exclude(root_cause=None)
        .values("root_cause__name")
        .annotate(n=Count("id"))
        .order_by("-n", "root_cause__name")
    )
    customers = customers_visible_to(viewer).count()
    total = complaints.count()
    answered = Survey.objects.filter(
        answered_at__gte=since,
        answered_at__lt=until,
        customer__in=customers_visible_to(viewer),
    )
    distribution = Counter(answered.values_list("score", flat=True))
    return {
        "categories": [{"name": r["category__name"], "count": r["n"]} for r in by_category],
        "root_causes": [{"name": r["root_cause__name"], "count": r["n"]} for r in by_cause],
        "complaints": total,
        "per_100_customers": (
            (Decimal(total) * 100 / customers).quantize(Decimal("0.01")) if customers else None
        ),
        "distribution": [{"score": s, "count": distribution.get(s, 0)} for s in range(1, 6)],
    }


def customer_side(viewer, span: Span) -> dict[str, Any]:
    """New customers in the period, key accounts (grade A), customers at risk now, and of
    those who bought in the period, how many bought more than once."""
    since, until = span.moments
    customers = customers_visible_to(viewer)
    bought = customer_orders(list(customers.values_list("pk", flat=True)), span.start)
    in_period = {
        customer_id: [day for day, _amount in orders if day <= span.end]
        for customer_id, orders in bought.items()
    }
    buyers = [days for days in in_period.values() if days]
    return {
        "new_customers": customers.filter(created_at__gte=since, created_at__lt=until).count(),
        "key_accounts": customers.filter(grade="A").count(),
        "at_risk": customers.filter(risk_since__isnull=False).count(),
        "buyers": len(buyers),
        "repeat_buyers": sum(1 for days in buyers if len(days) > 1),
    }


def report_headers(by: str) -> list[str]:
    return [
        gettext("Agent") if by == "agent" else gettext("Department"),
        gettext("Received"),
        gettext("Complaints"),
        gettext("Response on time (%)"),
        gettext("Solution on time (%)"),
        gettext("Resolved (%)"),
        gettext("Reopened (%)"),
        gettext("Satisfaction"),
        gettext("Answers"),
    ]


def report_cells(row: dict[str, Any]) -> list[Any]:
    return [
        row["key"],
        row["received"],
        row["complaints"],
        row["response_rate"] if row["response_rate"] is not None else "",
        row["solution_rate"] if row["solution_rate"] is not None else "",
        row["resolution_rate"] if row["resolution_rate"] is not None else "",
        row["reopen_rate"] if row["reopen_rate"] is not None else "",
        row["satisfaction"] if row["satisfaction"] is not None else "",
        row["answers"],
    ]
