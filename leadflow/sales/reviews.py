"""What the deals say about customers: the periodic grade review (CUS-3) and the early
warning of falling orders (CUS-7).

The grade review's evidence is the last twelve months of deals.

Each minute the sweep takes customers not reviewed for `customers.review_days` (30 by
default), a batch at a time, and proposes to set their expected annual sales and orders a
year to what they actually bought, when that would change their grade.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.core.company_settings import define, get_settings
from leadflow.core.sweeps import sweep
from leadflow.customers.models import Customer
from leadflow.customers.reviews import grade_propose, grades_reviewed
from leadflow.customers.risk import cadence_missed, risk_update

from .queries import customer_orders

define(
    "customers.review_days",
    30,
    "int",
    _("Review each customer's grade every (days)"),
    _("Customer grades"),
    minimum=1,
)
BATCH = 500
TEN_THOUSAND = Decimal(10_000)


@sweep("sales.grade_review")
def review_grades(now: datetime) -> dict[str, Any]:
    due_before = now - timedelta(
        days=get_settings("customers.review_days")["customers.review_days"]
    )
    with transaction.atomic():
        customers = list(
            Customer.objects.filter(
                Q(grade_reviewed_at__isnull=True) | Q(grade_reviewed_at__lt=due_before)
            )
            .select_related("owner")
            .order_by("id")[:BATCH]
        )
        if not customers:
            return {"reviewed": 0, "proposed": 0}
        year_ago = (now - timedelta(days=365)).date()
        bought = customer_orders([customer.pk for customer in customers], year_ago)
        proposed = 0
        for customer in customers:
            orders = bought.get(customer.pk)
            if not orders:
                continue  # nothing bought: no evidence either way
            total = sum((amount for _, amount in orders), Decimal(0))
            actual = (total / TEN_THOUSAND).quantize(Decimal("0.01"))
            changes = {"expected_annual_sales": actual, "purchase_frequency": len(orders)}
            evidence = {"months": 12, "sales_wan": str(actual), "orders": len(orders)}
            proposed += (
                grade_propose(customer=customer, changes=changes, evidence=evidence, now=now)
                is not None
            )
        grades_reviewed([customer.pk for customer in customers], now=now)
    return {"reviewed": len(customers), "proposed": proposed}


@sweep("sales.churn_watch")
def watch_churn(now: datetime) -> dict[str, Any]:
    """Early warning (CUS-7), once a day per customer, a batch a minute: contact missed by
    more than a cadence period, or the last twelve months' orders down year on year by at
    least `customers.churn_drop_percent`."""
    with transaction.atomic():
        customers = list(
            Customer.objects.filter(
                Q(risk_checked_at__isnull=True) | Q(risk_checked_at__lt=now - timedelta(days=1))
            )
            .select_related("owner")
            .order_by("id")[:BATCH]
        )
        if not customers:
            return {"checked": 0, "warned": 0}
        today = timezone.localdate(now)
        year_ago, two_years_ago = today - timedelta(days=365), today - timedelta(days=730)
        totals = {}
        for customer_id, orders in customer_orders(
            [customer.pk for customer in customers], two_years_ago
        ).items():
            totals[customer_id] = {
                "recent": sum((a for day, a in orders if day > year_ago), Decimal(0)),
                "earlier": sum((a for day, a in orders if day <= year_ago), Decimal(0)),
            }
        drop = Decimal(get_settings("customers.churn_")["customers.churn_drop_percent"]) / 100
        warned = 0
        for customer in customers:
            reasons = ["cadence_missed"] if cadence_missed(customer, now) else []
            row = totals.get(customer.pk)
            if row and row["earlier"] and (row["recent"] or 0) <= row["earlier"] * (1 - drop):
                reasons.append("orders_falling")
            warned += risk_update(
                customer=customer,
                reasons=reasons,
                now=now,
                decides=("cadence_missed", "orders_falling"),
            )
    return {"checked": len(customers), "warned": warned}
