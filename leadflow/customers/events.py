"""A step on a customer's own timeline (CUS-4), recorded once for the timeline and, when
a person took it, once for the audit log (SEC-3). Every customer change writes its
event through here."""

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.core.audit import audit_record, register_action_labels
from leadflow.core.personal import PERSONAL, seal

from .models import Customer, CustomerEvent

register_action_labels(
    {
        "customer.view": _("viewed the personal data of customer"),
        "customer.list_view": _("viewed a list of customers with their personal data"),
        "customer.created": _("created customer"),
        "customer.changed": _("changed the profile of customer"),
        "customer.contact_added": _("added a contact to customer"),
        "customer.contact_reveal": _("revealed a contact of customer"),
        "customer.access_": _("decided an access request for customer"),
        "customer.": _("changed customer"),
    }
)


def customer_event_record(
    customer: Customer,
    kind: str,
    by: User | None,
    data: dict[str, Any],
    at: datetime | None = None,
) -> None:
    """A step on the customer's own timeline, now, by `by` (profile, team and sharing
    changes write theirs through here), its personal values encrypted (SEC-2), and in the
    audit log when a person took it (SEC-3): which fields changed, not their values."""
    CustomerEvent.objects.create(
        customer=customer, at=at or timezone.now(), kind=kind, actor=by, data=seal(data)
    )
    if by is not None:
        audit_record(
            actor=by,
            action=f"customer.{kind}",
            obj=customer,
            extra={
                name: sorted(value) if isinstance(value, dict) else value
                for name, value in data.items()
                if name not in PERSONAL
            },
        )
