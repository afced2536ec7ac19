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
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, Q
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


def _per_owner(
    customers, period: Period, now: datetime
) -> tuple[dict[int | None, dict[str, int]], dict[tuple[str, str], dict[str, int]]]:
    """({owner: counts}, {(category, grade): counts}) from one pass over the customers."""
    since, until = period.bounds()
    quiet_since = churn_since(period)
    quiet = Q(category__in=BOUGHT) & (
        Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=quiet_since)
    )
    rows = (
        customers.order_by()
        .values("owner_id", "category", "grade")
        .annotate(
            customers=Count("id"),
            new=Count("id", filter=Q(created_at__gte=since, created_at__lt=until)),
            key=Count("id", filter=Q(category=Customer.Category.KEY)),
            planned=Count("id", filter=Q(next_contact_due__isnull=False)),
            overdue=Count("id", filter=Q(next_contact_due__lt=now)),
            at_risk=Count("id", filter=Q(risk_since__isnull=False)),
            quiet=Count("id", filter=quiet),
            bought_ever=Count("id", filter=Q(category__in=BOUGHT)),
        )
    )
    # Churned: quiet customers who have not ordered either, counted from the deals side
    # (the quiet ones who did order are taken off) rather than probing each customer.
    ordered_anyway: dict[int | None, int] = dict(
        Deal.objects.filter(
            customer__in=customers.filter(quiet),
            signed_on__gte=quiet_since.date(),
            signed_on__lt=until.date(),
        )
        .order_by()
        .values("customer__owner_id")
        .annotate(n=Count("customer_id", distinct=True))
        .values_list("customer__owner_id", "n")
    )
    table: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    mix: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        owner = table[row.pop("owner_id")]
        kind = mix[row.pop("category"), row.pop("grade")]
        kind["total"] += row["customers"]
        kind["new"] += row["new"]
        for name, value in row.items():
            owner[name] += value
    for owner_id, counts in table.items():
        counts["churned"] = counts.pop("quiet") - ordered_anyway.get(owner_id, 0)
    year_ago = (until - timedelta(days=365)).date()
    for owner_id, buyers, repeat_buyers in _buyers_per_owner(customers, year_ago, until.date()):
        table[owner_id]["buyers"], table[owner_id]["repeat_buyers"] = buyers, repeat_buyers
    return table, mix


def _buyers_per_owner(customers, since: date, until: date) -> list[tuple[int | None, int, int]]:
    """(owner, customers who bought in [since, until), of whom twice or more) for the
    customers in `customers` (the viewer's scope, as its own SQL). Deals are counted per
    customer first, from the deal_signed index, then summed per owner: one pass, where
    grouping the joined rows by customer and owner took three times as long."""
    scoped, params = customers.order_by().values("pk").query.sql_with_params()
    deal, customer = Deal._meta.db_table, Customer._meta.db_table
    sql = f"""
        SELECT c.owner_id, COUNT(*), SUM(CASE WHEN d.n > 1 THEN 1 ELSE 0 END)
        FROM (SELECT customer_id, COUNT(*) AS n FROM {deal}
              WHERE signed_on >= %s AND signed_on < %s GROUP BY customer_id) d
        JOIN {customer} c ON c.id = d.customer_id
        WHERE c.id IN ({scoped})
        GROUP BY c.owner_id"""  # noqa: S608 - table names from the models, values as params
    with connection.cursor() as cursor:
        cursor.execute(sql, [since, until, *params])
        return [(owner, int(buyers), int(repeat or 0)) for owner, buyers, repeat in cursor]


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
    owners, mix = _per_owner(customers, period, now)
    people = {u.pk: u for u in User.objects.filter(pk__in=[k for k in owners if k])}
    teams: dict[int | None, list[dict[str, int]]] = defaultdict(list)
    for owner_id, counts in owners.items():
        person = people.get(owner_id) if owner_id else None
        teams[person.team_id if person else None].append(counts)
    team_names = dict(Team.objects.filter(pk__in=[k for k in teams if k]).values_list("pk", "name"))
    total = _summed(list(owners.values()))
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
                "category": str(categories.get(category, category)),
                "grade": grade or "—",
                "total": counts["total"],
                "new": counts["new"],
            }
            for (category, grade), counts in sorted(mix.items())
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
