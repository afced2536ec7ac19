"""Access to another rep's customer (SEC-4), through the approval engine: a rep asks with
the reason; the seeded flow lets a manager holding `customers.grant` whose data scope
covers the customer approve it, and the approval becomes a view share that ends by
itself after `customers.access_days`.
"""

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.accounts.scope import scope_filter
from leadflow.approvals.engine import approval_decide, approval_submit
from leadflow.approvals.kinds import Choice, register_kind
from leadflow.approvals.models import ApprovalRequest
from leadflow.approvals.queries import waiting_tasks
from leadflow.core.audit import audit_record
from leadflow.core.cleaning import company_key
from leadflow.core.company_settings import define, get_settings
from leadflow.core.errors import Conflict, ValidationFailed

from .models import Customer, Share

KIND = "customer_access"

define(
    "customers.access_days",
    7,
    "int",
    _("Access to another rep's customer lasts (days)"),
    _("Customer grades"),
    minimum=1,
)


class CustomerAccess:
    code = KIND
    label = _("Access to a customer")

    def snapshot(self, subject: Customer, values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "customer": subject.name,
            "owner": str(subject.owner) if subject.owner else "",
            "days": get_settings("customers.access")["customers.access_days"],
        }

    def amount(self, subject: Customer, values: Mapping[str, Any]) -> Decimal | None:
        return None

    def visible_to(self, subject: Customer, user) -> bool:
        return Customer.objects.filter(scope_filter(user), pk=subject.pk).exists()

    def url(self, subject: Customer) -> str:
        return f"/customers/{subject.pk}/"

    def choices(self, subject: Customer, by) -> list[Choice]:
        return []

    def on_approved(self, request: ApprovalRequest, *, by, choices: Mapping[str, Any]) -> dict:
        """A view share for the days the snapshot names, ending by itself."""
        now = timezone.now()
        until = now + timedelta(days=int(request.snapshot["days"]))
        customer = Customer.objects.get(pk=request.subject_id)
        share = Share.objects.create(
            customer=customer,
            shared_with=request.requester,
            rights=Share.Rights.VIEW,
            reason=gettext("Access request: %(reason)s") % {"reason": request.reason},
            until=until,
            shared_by=by,
            at=now,
        )
        self._audit(request, customer, by, "approved")
        return {"share_id": share.pk, "until": until.isoformat()}

    def on_closed(self, request: ApprovalRequest, *, by) -> None:
        if by.pk != request.requester_id:
            self._audit(request, Customer.objects.get(pk=request.subject_id), by, "rejected")

    def _audit(self, request: ApprovalRequest, customer: Customer, by, state: str) -> None:
        audit_record(
            actor=by,
            action="customer.access_" + state,
            obj=customer,
            extra={"requester": str(request.requester), "reason": request.reason},
        )


register_kind(CustomerAccess())


def _customer_named(text: str) -> Customer | None:
    return (
        Customer.objects.filter(credit_code=text.upper()).first()
        or Customer.objects.filter(kind=Customer.Kind.COMPANY, name_key=company_key(text)).first()
    )


@transaction.atomic
def access_request_create(*, name_or_code: str, reason: str, by: User) -> ApprovalRequest:
    """Ask for another rep's customer, named by its exact company name or credit code."""
    text = name_or_code.strip()
    customer = _customer_named(text) if text else None
    errors = {}
    if not reason.strip():
        errors["reason"] = gettext("required: why you need it")
    if customer is None:
        errors["customer"] = gettext("%(text)r: no customer has this exact name or credit code") % {
            "text": text
        }
    if errors or customer is None:
        raise ValidationFailed(gettext("The request was not sent."), fields=errors)
    if customer.owner_id == by.pk:
        raise Conflict(gettext("This customer is yours."), fields={"customer": customer.name})
    waiting = ApprovalRequest.objects.filter(
        kind=KIND, subject_id=customer.pk, requester=by, state=ApprovalRequest.State.PENDING
    )
    if waiting.exists():
        raise Conflict(
            gettext("You asked for this customer already."), fields={"customer": customer.name}
        )
    return approval_submit(
        kind=KIND,
        subject=customer,
        by=by,
        reason=reason,
        title=gettext("Access to customer %(customer)s") % {"customer": customer.name},
    )


def requests_to_decide(user: User) -> QuerySet[ApprovalRequest]:
    """The access requests waiting for this user's decision."""
    ids = waiting_tasks(user).filter(request__kind=KIND).values("request_id")
    return ApprovalRequest.objects.filter(pk__in=ids).select_related("requester")


def my_requests(user: User) -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(kind=KIND, requester=user)


def access_request_decide(
    *, request: ApprovalRequest, approve: bool, by: User, note: str = ""
) -> ApprovalRequest:
    """Approve (a view share ending after the days asked) or reject, with the reason."""
    return approval_decide(
        request=request, by=by, decision="approve" if approve else "reject", comment=note
    )


def granted_share(request: ApprovalRequest) -> Share | None:
    share_id = (request.outcome or {}).get("share_id")
    return Share.objects.filter(pk=share_id).first() if share_id else None
