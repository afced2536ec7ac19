"""Confidentiality of customer contacts (SEC-3, SEC-4).

Whoever holds a customer through their data scope (the owner, their managers) or its
key-account team sees its contacts whole. Someone it is only shared with sees phones and
emails masked (138****8000, w***@example.cn); the full value needs the `customers.reveal`
permission and every look is written to the audit log. A rep who needs another rep's
customer asks; a manager with `customers.grant` approves it for some days (a view share
that ends by itself) or rejects it.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.accounts.scope import scope_filter
from leadflow.core.audit import audit_record
from leadflow.core.cleaning import company_key
from leadflow.core.company_settings import define, get_settings
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.personal import shown
from leadflow.notify.delivery import Message, notify

from .models import AccessRequest, Contact, Customer, CustomerEvent, Share, TeamMember
from .permissions import CUSTOMERS_GRANT, CUSTOMERS_REVEAL

define(
    "customers.access_days",
    7,
    "int",
    _("Access to another rep's customer lasts (days)"),
    _("Customer grades"),
    minimum=1,
)


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


@transaction.atomic
def access_request_create(*, name_or_code: str, reason: str, by: User) -> AccessRequest:
    """Ask for another rep's customer, named by its exact company name or credit code."""
    text = name_or_code.strip()
    customer = (
        Customer.objects.filter(credit_code=text.upper()).first()
        or Customer.objects.filter(kind=Customer.Kind.COMPANY, name_key=company_key(text)).first()
    )
    errors = {}
    if not reason.strip():
        errors["reason"] = "required: why you need it"
    if customer is None:
        errors["customer"] = f"{text!r}: no customer has this exact name or credit code"
        raise ValidationFailed(gettext("The request was not sent."), fields=errors)
    if errors:
        raise ValidationFailed(gettext("The request was not sent."), fields=errors)
    if customer.owner_id == by.pk:
        raise Conflict(gettext("This customer is yours."), fields={"customer": customer.name})
    if customer.access_requests.filter(requester=by, state=AccessRequest.State.PENDING).exists():
        raise Conflict(
            gettext("You asked for this customer already."), fields={"customer": customer.name}
        )
    request = AccessRequest.objects.create(
        customer=customer, requester=by, reason=reason.strip(), at=timezone.now()
    )
    for approver in _approvers(customer):
        notify(
            approver,
            Message(
                title=gettext("%(user)s asks for access to %(customer)s")
                % {"user": by, "customer": customer.name},
                body=request.reason,
                url="/customers/access/",
            ),
        )
    return request


def _approvers(customer: Customer) -> list[User]:
    """Users with `customers.grant` whose data scope covers the customer."""
    return [
        user
        for user in User.objects.filter(is_active=True).select_related("role", "department")
        if user.has_permission(CUSTOMERS_GRANT)
        and Customer.objects.filter(pk=customer.pk).filter(scope_filter(user)).exists()
    ]


def requests_to_decide(user: User):
    if not user.has_permission(CUSTOMERS_GRANT):
        return AccessRequest.objects.none()
    return AccessRequest.objects.filter(
        state=AccessRequest.State.PENDING, customer__in=Customer.objects.filter(scope_filter(user))
    ).select_related("customer", "requester")


@transaction.atomic
def access_request_decide(*, request: AccessRequest, approve: bool, by: User) -> AccessRequest:
    """Approve (a view share ending after `customers.access_days`) or reject; the caller
    passes a request from `requests_to_decide(by)`."""
    now = timezone.now()
    state = AccessRequest.State.APPROVED if approve else AccessRequest.State.REJECTED
    taken = AccessRequest.objects.filter(pk=request.pk, state=AccessRequest.State.PENDING)
    if taken.update(state=state, decided_by=by, decided_at=now) != 1:
        raise Conflict(
            gettext("This request was decided already."), fields={"request": str(request.pk)}
        )
    request.refresh_from_db()
    if approve:
        days = get_settings("customers.access")["customers.access_days"]
        share = Share.objects.create(
            customer=request.customer,
            shared_with=request.requester,
            rights=Share.Rights.VIEW,
            reason=gettext("Access request: %(reason)s") % {"reason": request.reason},
            until=now + timedelta(days=days),
            shared_by=by,
            at=now,
        )
        AccessRequest.objects.filter(pk=request.pk).update(share=share)
        request.share = share
    audit_record(
        actor=by,
        action="customer.access_" + state,
        obj=request.customer,
        extra={"requester": str(request.requester), "reason": request.reason},
    )
    notify(
        request.requester,
        Message(
            title=(
                gettext("Access to %(customer)s approved")
                if approve
                else gettext("Access to %(customer)s refused")
            )
            % {"customer": request.customer.name},
            body="",
            url=f"/customers/{request.customer_id}/" if approve else "/customers/",
        ),
    )
    return request
