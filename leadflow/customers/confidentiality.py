"""Confidentiality of customer contacts (SEC-3, SEC-4).

Whoever holds a customer through their data scope (the owner, their managers) or its
key-account team sees its contacts whole. Someone it is only shared with sees phones and
emails masked (138****8000, w***@example.cn); the full value needs the `customers.reveal`
permission and every look is written to the audit log. A rep who needs another rep's
customer asks through the approval engine (`customers.access`).
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext

from leadflow.accounts.models import User
from leadflow.accounts.scope import scope_filter
from leadflow.core.audit import audit_record
from leadflow.core.errors import Forbidden
from leadflow.core.personal import shown

from .models import Contact, Customer, CustomerEvent, TeamMember
from .permissions import CUSTOMERS_REVEAL


def sees_whole(user: User, customer: Customer) -> bool:
    """The owner and the customer's team; else whoever's data scope covers the customer,
    unless their role sees customers' personal data masked (marketing, customer service)."""
    return customer.pk in whole_customer_ids(user, [customer])


def whole_customer_ids(user: User, customers: list[Customer]) -> set[int]:
    """Which of these customers `user` sees whole (see `sees_whole`), in two queries."""
    ids = [customer.pk for customer in customers]
    whole = {customer.pk for customer in customers if customer.owner_id == user.pk}
    whole |= set(
        TeamMember.objects.filter(customer_id__in=ids, user=user).values_list(
            "customer_id", flat=True
        )
    )
    if user.role is not None and user.role.customers_masked and not user.is_superuser:
        return whole
    in_scope = Customer.objects.filter(scope_filter(user), pk__in=set(ids) - whole)
    return whole | set(in_scope.values_list("pk", flat=True))


def shown_contact(contact: Contact, *, whole: bool) -> dict:
    """A contact as this viewer may see it."""
    return {
        "id": contact.pk,
        "name": contact.name,
        "title": contact.title,
        "role": contact.role,
        "primary": contact.primary,
        "masked": not whole,
        **shown(
            {"mobile": contact.mobile, "landline": contact.landline, "email": contact.email},
            whole=whole,
        ),
    }


def shown_events(events: Iterable[CustomerEvent], *, whole: bool) -> list[dict]:
    """A customer's timeline as this viewer may see it: old and new values of its
    personal data masked unless `whole`."""
    return [
        {
            "at": event.at,
            "kind": event.kind,
            "actor": str(event.actor) if event.actor else None,
            "data": shown(event.data, whole=whole),
        }
        for event in events
    ]


@transaction.atomic
def contact_reveal(*, contact: Contact, by: User) -> dict:
    """The full phone numbers and email of a contact the user sees masked, with the
    `customers.reveal` permission; the look is logged. The caller passes a contact of a
    customer `by` may see."""
    if sees_whole(by, contact.customer):
        return shown_contact(contact, whole=True)
    if not by.has_permission(CUSTOMERS_REVEAL):
        raise Forbidden(gettext("Seeing full contact details of this customer needs permission."))
    audit_record(
        actor=by,
        action="customer.contact_reveal",
        obj=contact.customer,
        extra={"contact": contact.pk, "name": contact.name},
    )
    return shown_contact(contact, whole=True)
