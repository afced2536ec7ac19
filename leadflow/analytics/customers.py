"""Customer analytics (ANA-4): over the customers the viewer may see (`customers_visible_to`),
per owner and team — new customers, the mix of categories and grades, key accounts, grade
movements, contact-cadence compliance, satisfaction, complaint rate, churn and repeat
purchase.

Definitions, each as the page states them:
- churned: a customer who has bought (category 已成交 or 重点) with neither a deal nor a
  recorded contact in the `analytics.churn_months` months up to the period's end;
- repeat purchase: of the customers with a deal in the twelve months up to the period's
  end, those with two or more;
- cadence compliance: of the customers with a next contact planned, those not overdue now;
- complaint rate: complaints received in the period per 100 customers.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import Team, User
from leadflow.core.company_settings import define, get_settings
from leadflow.customers.models import Customer, CustomerEvent
from leadflow.customers.queries import customers_visible_to
from leadflow.sales.models import Deal
from leadflow.service.models import Survey, Ticket
from leadflow.service.tickets import tickets_visible_to

from .queries import Period

define(
    "analytics.churn_months",
    6,
    "int",
    _("A customer counts as lost after (months) without an order or a contact"),
    _("Analytics"),
    minimum=1,
    maximum=36,
)
BOUGHT = (Customer.Category.CLOSED, Customer.Category.KEY)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def churn_since(period: Period) -> datetime:
    months = get_settings("analytics.")["analytics.churn_months"]
    _since, until = period.bounds()
    return until - timedelta(days=round(months * 30.44))


def _per_owner(customers, period: Period, now: datetime) -> dict[int | None, dict[str, int]]:
    since, until = period.bounds()
    quiet_since = churn_since(period)
    recent_order = Deal.objects.filter(
        customer=OuterRef("pk"), signed_on__gte=quiet_since.date(), signed_on__lt=until.date()
    )
    rows = (
        customers.order_by()
        .annotate(ordered=Exists(recent_order))
        .values("owner_id")
        .annotate(
            customers=Count("id"),
            new=Count("id", filter=Q(created_at__gte=since, created_at__lt=until)),
            key=Count("id", filter=Q(category=Customer.Category.KEY)),
            planned=Count("id", filter=Q(next_contact_due__isnull=False)),
            overdue=Count("id", filter=Q(next_contact_due__lt=now)),
            at_risk=Count("id", filter=Q(risk_since__isnull=False)),
            churned=Count(
                "id",
                filter=Q(category__in=BOUGHT, ordered=False)
                & (Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=quiet_since)),
            ),
            bought_ever=Count("id", filter=Q(category__in=BOUGHT)),
        )
    )
    table: dict[int | None, dict[str, int]] = {row.pop("owner_id"): row for row in rows}
    year_ago = (until - timedelta(days=365)).date()
    orders = (
        Deal.objects.filter(
            customer__in=customers, signed_on__gte=year_ago, signed_on__lt=until.date()
        )
        .order_by()
        .values("customer_id", "customer__owner_id")
        .annotate(n=Count("id"))
    )
    for row in orders:
        owner = table.setdefault(row["customer__owner_id"], defaultdict(int))
        owner["buyers"] = owner.get("buyers", 0) + 1
        owner["repeat_buyers"] = owner.get("repeat_buyers", 0) + (row["n"] > 1)
    return table


def _row(key: str, counts: dict[str, int]) -> dict[str, Any]:
    get = counts.get
    return {
        "key": key,
        "customers": get("customers", 0),
        "new": get("new", 0),
        "key_accounts": get("key", 0),
        "at_risk": get("at_risk", 0),
        "cadence": _rate(get("planned", 0) - get("overdue", 0), get("planned", 0)),
        "churned": get("churned", 0),
        "churn_rate": _rate(get("churned", 0), get("bought_ever", 0)),
        "buyers": get("buyers", 0),
        "repeat_buyers": get("repeat_buyers", 0),
        "repeat_rate": _rate(get("repeat_buyers", 0), get("buyers", 0)),
    }


def _summed(parts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for part in parts:
        for name, value in part.items():
            total[name] += value
    return total


def customer_figures(user: User, period: Period, now: datetime) -> dict[str, Any]:
    """Every customer figure of the page, for the viewer's customers."""
    since, until = period.bounds()
    customers = customers_visible_to(user)
    owners = _per_owner(customers, period, now)
    people = {u.pk: u for u in User.objects.filter(pk__in=[k for k in owners if k])}
    teams: dict[int | None, list[dict[str, int]]] = defaultdict(list)
    for owner_id, counts in owners.items():
        person = people.get(owner_id) if owner_id else None
        teams[person.team_id if person else None].append(counts)
    team_names = dict(Team.objects.filter(pk__in=[k for k in teams if k]).values_list("pk", "name"))
    total = _summed(list(owners.values()))
    mix = (
        customers.order_by()
        .values("category", "grade")
        .annotate(
            total=Count("id"),
            new=Count("id", filter=Q(created_at__gte=since, created_at__lt=until)),
        )
    )
    movements = (
        CustomerEvent.objects.filter(
            customer__in=customers, kind="graded", at__gte=since, at__lt=until
        )
        .order_by()
        .values("data__from", "data__to")
        .annotate(n=Count("id"))
    )
    complaints = (
        tickets_visible_to(user)
        .filter(kind=Ticket.Kind.COMPLAINT, received_at__gte=since, received_at__lt=until)
        .count()
    )
    answers = Survey.objects.filter(
        customer__in=customers, answered_at__gte=since, answered_at__lt=until, score__isnull=False
    ).aggregate(average=Avg("score"), answers=Count("id"))
    categories = dict(Customer.Category.choices)
    return {
        "summary": _row("", total),
        "complaints": complaints,
        "complaints_per_100": (
            (Decimal(complaints) * 100 / total["customers"]).quantize(Decimal("0.01"))
            if total.get("customers")
            else None
        ),
        "satisfaction": round(answers["average"], 2) if answers["average"] is not None else None,
        "satisfaction_answers": answers["answers"],
        "mix": [
            {
                "category": str(categories.get(row["category"], row["category"])),
                "grade": row["grade"] or "—",
                "total": row["total"],
                "new": row["new"],
            }
            for row in sorted(mix, key=lambda r: (r["category"], r["grade"]))
        ],
        "movements": [
            {"from": row["data__from"] or "—", "to": row["data__to"] or "—", "count": row["n"]}
            for row in sorted(movements, key=lambda r: (-r["n"], str(r["data__from"])))
        ],
        "owners": sorted(
            (_row(str(people[k]) if k in people else "—", counts) for k, counts in owners.items()),
            key=lambda r: (-r["customers"], r["key"]),
        ),
        "teams": sorted(
            (
                _row(team_names.get(k, "—") if k else "—", _summed(parts))
                for k, parts in teams.items()
            ),
            key=lambda r: (-r["customers"], r["key"]),
        ),
        "churn_months": get_settings("analytics.")["analytics.churn_months"],
    }
