"""Contact cadence by grade (CUS-5): A weekly, B every two weeks, C monthly, D quarterly.

A customer carries `next_contact_due`: its last contact (or its creation) plus the cadence
of its grade (a customer without a grade is contacted monthly, like C). The minute sweep
reminds each owner once per overdue customer, in one set-based statement; a contact
recorded sets the next date. The cadence board lists what is overdue and due this week.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.core.company_settings import define, get_settings
from leadflow.core.errors import ValidationFailed
from leadflow.core.sweeps import sweep
from leadflow.notify.delivery import Message, briefly, notify

from .events import customer_event_record
from .models import Customer, Interaction
from .queries import customers_visible_to

GROUP = _("Customer contact cadence")
define("customers.cadence_a_days", 7, "int", _("Grade A: contact every (days)"), GROUP, minimum=1)
define("customers.cadence_b_days", 14, "int", _("Grade B: contact every (days)"), GROUP, minimum=1)
define("customers.cadence_c_days", 30, "int", _("Grade C: contact every (days)"), GROUP, minimum=1)
define("customers.cadence_d_days", 90, "int", _("Grade D: contact every (days)"), GROUP, minimum=1)
FUTURE_TOLERANCE = timedelta(minutes=10)


def cadence_days(grade: str) -> int:
    values = get_settings("customers.cadence_")
    return values[f"customers.cadence_{(grade or 'C').lower()}_days"]


def schedule_contact(customer: Customer) -> None:
    """Set when the owner must next contact the customer, from its last contact and its
    grade; the one place `next_contact_due` is written."""
    since = customer.last_contact_at or customer.created_at
    customer.next_contact_due = since + timedelta(days=cadence_days(customer.grade))
    customer.contact_reminded = False
    Customer.objects.filter(pk=customer.pk).update(
        next_contact_due=customer.next_contact_due, contact_reminded=False
    )


@transaction.atomic
def interaction_record(
    *, customer: Customer, by: User, at: datetime, method: str, summary: str
) -> Interaction:
    """Record a contact with the customer (CUS-5); the next one falls due by the cadence.
    The caller passes a customer `by` may see."""
    now = timezone.now()
    errors = {}
    if at > now + FUTURE_TOLERANCE:
        errors["at"] = f"{at.isoformat()} is in the future"
    if method not in Interaction.Method.values:
        errors["method"] = f"{method!r} is not one of {', '.join(Interaction.Method.values)}"
    if not summary.strip():
        errors["summary"] = "required: what the customer said"
    if errors:
        raise ValidationFailed(gettext("The contact was not recorded."), fields=errors)
    record = Interaction.objects.create(
        customer=customer, by=by, at=at, method=method, summary=summary.strip(), written_at=now
    )
    if customer.last_contact_at is None or at > customer.last_contact_at:
        customer.last_contact_at = at
        Customer.objects.filter(pk=customer.pk).update(last_contact_at=at, updated_at=now)
        schedule_contact(customer)
    customer_event_record(
        customer,
        "contacted",
        by,
        {"method": method, "at": at.isoformat(), "summary": record.summary[:200]},
        at=now,
    )
    return record


_TABLE = Customer._meta.db_table


@sweep("customers.cadence")
def remind_contacts_due(now: datetime) -> dict[str, Any]:
    """Customers past their contact date: remind each owner once, one notice per owner.
    (Plain SQL: the ORM writes a boolean test the SQLite planner cannot match to the
    customer_due index.)"""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET contact_reminded = %s "  # noqa: S608 - our table
            "WHERE contact_reminded = %s AND next_contact_due < %s RETURNING owner_id, name",
            [True, False, connection.ops.adapt_datetimefield_value(now)],
        )
        rows = cursor.fetchall()
        names: dict[int, list[str]] = defaultdict(list)
        for owner_id, name in rows:
            if owner_id is not None:
                names[owner_id].append(name)
        for owner in User.objects.filter(pk__in=names):
            listed = names[owner.pk]
            notify(
                owner,
                Message(
                    title=gettext("%(count)d customers are due a contact") % {"count": len(listed)},
                    body=briefly(listed, "、"),
                    url="/customers/cadence/",
                    level="warning",
                ),
            )
    return {"reminded": len(rows)}


def contacts_due(user, when: str, now: datetime) -> QuerySet[Customer]:
    """The customers the user may see that are overdue, or due by the end of this week."""
    customers = customers_visible_to(user).filter(next_contact_due__isnull=False)
    if when == "overdue":
        return customers.filter(next_contact_due__lt=now).order_by("next_contact_due")
    if when == "week":
        local = timezone.localtime(now)
        end = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
            days=7 - local.weekday()
        )
        return customers.filter(next_contact_due__gte=now, next_contact_due__lt=end).order_by(
            "next_contact_due"
        )
    raise ValidationFailed(
        gettext("Unknown list."), fields={"when": f"{when!r} is not overdue or week"}
    )


def overdue_per_owner(user, now: datetime) -> list[dict[str, Any]]:
    """How many customers each owner has overdue, most first (the report of CUS-5)."""
    rows = (
        customers_visible_to(user)
        .filter(next_contact_due__lt=now)
        .values("owner_id", "owner__display_name", "owner__username")
        .annotate(overdue=Count("id"))
        .order_by("-overdue")
    )
    return [
        {"owner": row["owner__display_name"] or row["owner__username"], "overdue": row["overdue"]}
        for row in rows
    ]
