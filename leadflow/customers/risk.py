"""Early warning (CUS-7): a customer at risk of being lost, and why.

Reasons: contact missed by more than one cadence period (`cadence_missed`, decided here),
orders falling year on year (decided by the sales area, which knows the deals), an open
complaint or a low satisfaction score (decided by the service area). Each area decides
its own reasons and leaves the others' alone. `risk_update` keeps the reasons on the
customer, tells the owner when a new one appears and records each change on the timeline.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.core.company_settings import define
from leadflow.notify.delivery import Message, notify

from .cadence import cadence_days
from .events import customer_event_record
from .models import Customer

define(
    "customers.churn_drop_percent",
    20,
    "int",
    _("Warn when orders fall year on year by at least (%)"),
    _("Customer grades"),
    minimum=1,
    maximum=100,
)
REASONS = {
    "cadence_missed": _("Not contacted for more than a cadence period past due"),
    "orders_falling": _("Orders fell year on year"),
    "open_complaint": _("A complaint is open"),
    "low_satisfaction": _("Rated their satisfaction 2 or lower"),
}


def cadence_missed(customer: Customer, now: datetime) -> bool:
    """Past its contact date by more than one more period of its cadence."""
    if customer.next_contact_due is None:
        return False
    return now > customer.next_contact_due + timedelta(days=cadence_days(customer.grade))


@transaction.atomic
def risk_update(
    *,
    customer: Customer,
    reasons: list[str],
    now: datetime,
    decides: Iterable[str] = (),
    checked: bool = True,
) -> bool:
    """Keep the customer's risk reasons; True when a new reason appeared. `decides`: the
    reasons this caller judges (its `reasons` replace those; any other stays as it was);
    all of them when not given. `checked`: this is the daily check (the churn watch)."""
    before = set(customer.risk_reasons)
    kept = before - set(decides) if decides else set()
    after = kept | set(reasons)
    changes: dict = {"risk_checked_at": now} if checked else {}
    if after != before:
        changes["risk_reasons"] = sorted(after)
        changes["risk_since"] = (customer.risk_since or now) if after else None
    if changes:
        Customer.objects.filter(pk=customer.pk).update(**changes)
    for name, value in changes.items():
        setattr(customer, name, value)
    if after == before:
        return False
    customer_event_record(
        customer,
        "risk" if after else "risk_cleared",
        None,
        {"reasons": sorted(after), "before": sorted(before)},
        at=now,
    )
    new = after - before
    if new and customer.owner_id:
        notify(
            customer.owner,
            Message(
                title=gettext("Churn warning: %(name)s") % {"name": customer.name},
                body="；".join(str(REASONS.get(reason, reason)) for reason in sorted(new)),
                url=f"/customers/{customer.pk}/",
                level="warning",
            ),
        )
    return bool(new)
