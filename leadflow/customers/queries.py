"""Reads of customers, always through the viewer's data scope (SEC-1)."""

from django.db.models import Q, QuerySet

from leadflow.accounts.scope import visible_to

from .models import Customer


def customers_visible_to(user) -> QuerySet[Customer]:
    return visible_to(user, Customer.objects.select_related("owner"))


def customer_for(user, customer_id: int) -> Customer | None:
    return customers_visible_to(user).filter(pk=customer_id).first()


def filtered_customers(
    user, *, q: str = "", category: str = "", grade: str = "", region: str = ""
) -> QuerySet[Customer]:
    customers = customers_visible_to(user)
    if q.strip():
        text = q.strip()
        customers = customers.filter(
            Q(name__icontains=text)
            | Q(credit_code=text.upper())
            | Q(contacts__mobile__endswith=text)
            | Q(contacts__name=text)
        ).distinct()
    if category:
        customers = customers.filter(category=category)
    if grade:
        customers = customers.filter(grade=grade)
    if region.strip():
        customers = customers.filter(region__startswith=region.strip())
    return customers
