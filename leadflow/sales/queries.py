"""Reads of deals: a customer's deals to whoever may see the customer."""

from decimal import Decimal

from django.db.models import QuerySet, Sum

from leadflow.customers.queries import customer_for

from .models import Deal


def deals_of_customer(user, customer_id: int) -> QuerySet[Deal] | None:
    """None when the user may not see the customer."""
    if customer_for(user, customer_id) is None:
        return None
    return Deal.objects.filter(customer_id=customer_id).select_related("owner")


def sales_in_year(year: int) -> Decimal:
    """The amount of every deal signed in the year (the company's, for ratios)."""
    total = Deal.objects.filter(signed_on__year=year).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)
