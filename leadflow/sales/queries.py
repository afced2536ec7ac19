"""Reads of deals: a customer's deals to whoever may see the customer."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet, Sum

from leadflow.customers.queries import customer_for

from .models import Contract, Deal


def deals_of_customer(user, customer_id: int) -> QuerySet[Deal] | None:
    """None when the user may not see the customer."""
    if customer_for(user, customer_id) is None:
        return None
    return (
        Deal.objects.filter(customer_id=customer_id)
        .select_related("owner")
        .prefetch_related("contracts")
    )


def sales_in_year(year: int) -> Decimal:
    """What was sold in the year (the company's, for ratios): signed contracts at their
    amount, and the deals no contract in force covers."""
    in_force = Contract.objects.filter(state__in=Contract.IN_FORCE)
    contracted = in_force.filter(signed_on__year=year).aggregate(total=Sum("amount"))["total"]
    dealt = (
        Deal.objects.filter(signed_on__year=year)
        .exclude(pk__in=in_force.exclude(deal__isnull=True).values("deal_id"))
        .aggregate(total=Sum("amount"))["total"]
    )
    return (contracted or Decimal(0)) + (dealt or Decimal(0))


def customer_orders(customer_ids: list[int], since: date) -> dict[int, list[tuple[date, Decimal]]]:
    """{customer id: [(signed on, amount)]} of what each customer bought after `since`:
    a signed contract counts at its amount (its latest version), and a deal counts only
    when no contract in force covers it (MKT-5: contracts are what was agreed)."""
    orders: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    in_force = Contract.objects.filter(customer_id__in=customer_ids, state__in=Contract.IN_FORCE)
    for customer_id, signed_on, amount in in_force.filter(signed_on__gt=since).values_list(
        "customer_id", "signed_on", "amount"
    ):
        orders[customer_id].append((signed_on or since, amount))  # in force: always signed
    covered = in_force.exclude(deal__isnull=True).values("deal_id")
    deals = Deal.objects.filter(customer_id__in=customer_ids, signed_on__gt=since).exclude(
        pk__in=covered
    )
    for customer_id, signed_on, amount in deals.values_list("customer_id", "signed_on", "amount"):
        orders[customer_id].append((signed_on, amount))
    return dict(orders)
