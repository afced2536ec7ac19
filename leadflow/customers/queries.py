"""Reads of customers, always through the viewer's data scope (SEC-1)."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from leadflow.accounts.scope import NOTHING, scope_filter
from leadflow.core.cleaning import CleaningError, normalize_phone
from leadflow.core.crypto import lookup_hash

from .models import Customer, Share, TeamMember


def _shared_with(user, *, to_edit: bool) -> Q:
    """Customers on the user's key-account teams or shared with them and not ended."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    now = timezone.now()
    shares = Share.objects.filter(shared_with=user, revoked_at__isnull=True).filter(
        Q(until__isnull=True) | Q(until__gt=now)
    )
    if to_edit:
        shares = shares.filter(rights=Share.Rights.EDIT)
    return Q(pk__in=TeamMember.objects.filter(user=user).values("customer_id")) | Q(
        pk__in=shares.values("customer_id")
    )


def customers_visible_to(user, *, to_edit: bool = False) -> QuerySet[Customer]:
    """The customers within the user's data scope (SEC-1), on their teams, or shared with
    them (CUS-6); `to_edit` leaves out those shared for viewing only."""
    customers = Customer.objects.select_related("owner")
    scope = scope_filter(user)
    if not scope:  # an empty Q: every customer (OR-ing it would drop it, not widen)
        return customers
    return customers.filter(scope | _shared_with(user, to_edit=to_edit))


def customer_for(user, customer_id: int, *, to_edit: bool = False) -> Customer | None:
    return customers_visible_to(user, to_edit=to_edit).filter(pk=customer_id).first()


def manages(user, customer: Customer) -> bool:
    """The owner, or someone whose data scope covers the owner (a manager): who may change
    the team and the sharing."""
    return Customer.objects.filter(pk=customer.pk).filter(scope_filter(user)).exists()


def filtered_customers(
    user,
    *,
    q: str = "",
    category: str = "",
    grade: str = "",
    region: str = "",
    at_risk: bool = False,
    owner_id: int | None = None,
) -> QuerySet[Customer]:
    customers = customers_visible_to(user)
    if q.strip():
        text = q.strip()
        match = Q(name__icontains=text) | Q(credit_code=text.upper()) | Q(contacts__name=text)
        try:  # phones and emails are encrypted: found whole, by their keyed hash
            match |= Q(contacts__mobile_hash=lookup_hash(normalize_phone(text).e164))
        except CleaningError:
            pass
        if "@" in text:
            match |= Q(contacts__email_hash=lookup_hash(text.lower()))
        customers = customers.filter(match).distinct()
    if category:
        customers = customers.filter(category=category)
    if grade:
        customers = customers.filter(grade=grade)
    if region.strip():
        customers = customers.filter(region__startswith=region.strip())
    if at_risk:
        customers = customers.filter(risk_since__isnull=False)
    if owner_id:
        customers = customers.filter(owner_id=owner_id)
    return customers
