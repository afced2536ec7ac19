"""How a won lead becomes a customer or joins the one it names (LEAD-CNV-1), and how any
way in (conversion, entry by hand in `profiles`, `imports`) finds a customer that exists:
by credit code, normalised company name, or for a person the keyed hash of the mobile."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from leadflow.accounts.models import User
from leadflow.core.crypto import lookup_hash

from .cadence import schedule_contact
from .events import customer_event_record
from .models import Contact, Customer


@dataclass(frozen=True)
class Person:
    """A contact as the caller knows it, values already cleaned."""

    name: str
    title: str = ""
    mobile: str = ""
    landline: str = ""
    email: str = ""


@dataclass(frozen=True)
class Prospect:
    """Who becomes (or already is) the customer, values already cleaned: `name_key` is the
    normalised company name (empty for a person), `credit_code` checked."""

    kind: str
    name: str
    name_key: str
    credit_code: str
    industry: str
    region: str
    address: str
    employees: int | None
    contact: Person


def existing_customer(prospect: Prospect) -> Customer | None:
    """The customer this prospect already is: the same credit code, the same normalised
    company name, or for a person the same mobile."""
    match = Q(pk__in=[])
    if prospect.credit_code:
        match |= Q(credit_code=prospect.credit_code)
    if prospect.kind == Customer.Kind.COMPANY and prospect.name_key:
        match |= Q(kind=Customer.Kind.COMPANY, name_key=prospect.name_key)
    if prospect.kind == Customer.Kind.INDIVIDUAL and prospect.contact.mobile:
        match |= Q(
            kind=Customer.Kind.INDIVIDUAL,
            contacts__mobile_hash=lookup_hash(prospect.contact.mobile),
        )
    return Customer.objects.filter(match).order_by("id").first()


@transaction.atomic
def customer_take_on(
    *, prospect: Prospect, owner: User, by: User | None, now: datetime, source: dict[str, Any]
) -> tuple[Customer, bool]:
    """The customer for a deal just won: the existing one it matches, or a new one in the
    category 成交 owned by the rep who won it. Its contact is added when new to it, and
    the customer's timeline says what happened (`source`: e.g. the lead). Returns the
    customer and whether it was created."""
    customer = existing_customer(prospect)
    created = customer is None
    if customer is None:
        try:
            with transaction.atomic():  # two leads of one company won at the same moment
                customer = Customer.objects.create(
                    kind=prospect.kind,
                    name=prospect.name,
                    name_key=prospect.name_key if prospect.kind == Customer.Kind.COMPANY else "",
                    credit_code=prospect.credit_code,
                    industry=prospect.industry,
                    region=prospect.region,
                    address=prospect.address,
                    employees=prospect.employees,
                    category=Customer.Category.CLOSED,
                    owner=owner,
                    created_by=by,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            customer = existing_customer(prospect)
            if customer is None:
                raise
            created = False
    if not created:
        changes: dict[str, Any] = {"updated_at": now}
        if customer.category in (Customer.Category.POTENTIAL, Customer.Category.INTENT):
            changes["category"] = Customer.Category.CLOSED
        if prospect.credit_code and not customer.credit_code:
            changes["credit_code"] = prospect.credit_code
        Customer.objects.filter(pk=customer.pk).update(**changes)
        for name, value in changes.items():
            setattr(customer, name, value)
    _add_contact(customer, prospect.contact, now)
    # Winning the deal was a contact: the cadence starts from it.
    customer.last_contact_at = now
    Customer.objects.filter(pk=customer.pk).update(last_contact_at=now)
    schedule_contact(customer)
    customer_event_record(customer, "created" if created else "joined", by, source, at=now)
    return customer, created


def _add_contact(customer: Customer, person: Person, now: datetime) -> None:
    """Add the person unless the customer knows them already (same mobile, email, or,
    without either, the same name)."""
    if not (person.name or person.mobile or person.email):
        return
    same = Q(pk__in=[])
    if person.mobile:
        same |= Q(mobile_hash=lookup_hash(person.mobile))
    if person.email:
        same |= Q(email_hash=lookup_hash(person.email))
    if not (person.mobile or person.email):
        same |= Q(name=person.name)
    if customer.contacts.filter(same).exists():
        return
    Contact.objects.create(
        customer=customer,
        name=person.name or customer.name,
        title=person.title,
        mobile=person.mobile,
        landline=person.landline,
        email=person.email,
        primary=not customer.contacts.exists(),
        created_at=now,
    )
