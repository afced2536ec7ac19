"""A step on a customer's own timeline (CUS-4), recorded once for the timeline and, when
a person took it, once for the audit log (SEC-3). Every `CustomerEvent` is written here,
of a kind listed in KINDS with what its data holds."""

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.core.audit import audit_record, register_action_labels, register_object_labels
from leadflow.core.personal import PERSONAL, seal

from .models import Customer, CustomerEvent

register_object_labels(
    {
        "customers.customer": _("Customer"),
        "customers.contact": _("Customer contact"),
    }
)
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


# Every kind of customer event and what its data holds.
KINDS: dict[str, str] = {
    "created": "source (the lead: lead_id, lead, deal_id …) or entered ('by hand'), grade",
    "joined": "the same source, when another lead was won for a customer who exists",
    "changed": "fields {field: [before, after]}, important, changed_on, late",
    "graded": "from, to, why",
    "contact_added": "name, role, important",
    "contacted": "method, at, summary",
    "team_added": "user, role",
    "team_removed": "user, role",
    "shared": "with, rights, until, reason",
    "share_revoked": "with",
    "data_reviewed": "note",
    "risk": "reasons [codes], before [codes]: a churn warning (CUS-7)",
    "risk_cleared": "reasons [], before [codes]",
    "ticket": "number, kind (inquiry/complaint), subject: a service ticket (SVC-1)",
    "surveyed": "score (1–5), comment, ticket (number or ''): a survey answer (SVC-4)",
}


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
    if kind not in KINDS:
        raise ValueError(f"{kind!r} is not a customer event kind (customers.events.KINDS)")
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
