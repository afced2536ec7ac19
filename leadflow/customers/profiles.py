"""Customer profiles (CUS-1, CUS-3, CUS-4): entered by hand, changed with every change
kept, graded from what the profile says.

Values are cleaned by the same rules as leads (`core.cleaning`) and refused whole with a
reason per field. Every change is a `changed` event with before and after; changes to
what the policy calls important (name, management, scope, address, contacts) are marked
so the monthly review can find them. The grade follows the profile (`grading.grade_of`);
each new grade is a `graded` event.
"""

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.accounts.scope import scope_filter
from leadflow.core.cleaning import (
    CleaningError,
    company_key,
    guess_kind,
    normalize_email,
    normalize_name,
    normalize_phone,
)
from leadflow.core.company_settings import define, get_settings
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.storable import unstorable_fields
from leadflow.core.worktime import WorkCalendar

from .cadence import schedule_contact
from .credit_code import normalize_credit_code
from .events import customer_event_record
from .grading import Thresholds, grade_of
from .intake import Person, Prospect, existing_customer
from .models import Contact, Customer, Level
from .permissions import CUSTOMERS_CREATE

IMPORTANT_FIELDS = frozenset({"name", "legal_representative", "business_scope", "address"})
define(
    "customers.important_change_days",
    3,
    "int",
    _("Record an important change within (working days)"),
    _("Customer grades"),
    minimum=0,
    help=_("Contacts, business scope, management: later entries are marked late."),
)
define(
    "customers.data_review_days",
    30,
    "int",
    _("Review each customer's data every (days)"),
    _("Customer grades"),
    minimum=1,
)
GRADE_FIELDS = ("expected_annual_sales", "purchasing_power", "potential", "purchase_frequency")


def _text(name: str, limit: int | None = None) -> Callable[[Any], str]:
    field = Customer._meta.get_field(name)
    limit = limit or getattr(field, "max_length", None)  # None for a TextField

    def clean(raw: Any) -> str:
        text = str(raw or "").strip()
        if limit and len(text) > limit:
            raise ValueError(gettext("longer than %(limit)d characters") % {"limit": limit})
        return text

    return clean


def _name(raw: Any) -> str:
    name = normalize_name(str(raw or ""))
    if not name:
        raise ValueError(gettext("required"))
    if len(name) > 200:
        raise ValueError(gettext("longer than %(limit)d characters") % {"limit": 200})
    return name


def _choice(choices: Iterable[str], *, blank: bool = True) -> Callable[[Any], str]:
    allowed = tuple(choices)

    def clean(raw: Any) -> str:
        value = str(raw or "").strip()
        if (value or not blank) and value not in allowed:
            raise ValueError(gettext("not one of %(allowed)s") % {"allowed": ", ".join(allowed)})
        return value

    return clean


def _count(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError) as error:
        raise ValueError(gettext("not a whole number")) from error
    if not 0 <= value <= 10_000_000:
        raise ValueError(gettext("from 0 to 10,000,000"))
    return value


def _amount(raw: Any) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation as error:
        raise ValueError(gettext("not a number")) from error
    if not value.is_finite() or value < 0 or value >= Decimal("1e10"):
        raise ValueError(gettext("from 0 to 9,999,999,999.99"))
    return value.quantize(Decimal("0.01"))


def _satisfaction(raw: Any) -> int | None:
    value = _count(raw)
    if value is not None and not 1 <= value <= 5:
        raise ValueError(gettext("from 1 to 5"))
    return value


def _credit_code(raw: Any) -> str:
    text = str(raw or "").strip()
    return normalize_credit_code(text) if text else ""


CLEANERS: dict[str, Callable[[Any], Any]] = {
    "name": _name,
    "kind": _choice(Customer.Kind.values, blank=False),
    "credit_code": _credit_code,
    "legal_representative": _text("legal_representative"),
    "industry": _text("industry"),
    "region": _text("region"),
    "address": _text("address", limit=200),
    "employees": _count,
    "business_scope": _text("business_scope"),
    "needs": _text("needs"),
    "expected_annual_sales": _amount,
    "purchase_frequency": _count,
    "purchasing_power": _choice(Level.values),
    "potential": _choice(Level.values),
    "intent": _choice(Level.values),
    "satisfaction": _satisfaction,
    "suggestions": _text("suggestions"),
    "category": _choice(Customer.Category.values, blank=False),
}


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    cleaned, errors = {}, {}
    for name, raw in values.items():
        cleaner = CLEANERS.get(name)
        if cleaner is None:
            errors[name] = gettext("not a customer field that can be set")
            continue
        try:
            cleaned[name] = cleaner(raw)
        except ValueError as error:  # InvalidCreditCode is one
            errors[name] = f"{raw!r}: {error}"
    if errors:
        raise ValidationFailed(gettext("The customer was not saved."), fields=errors)
    return cleaned


def _refuse_duplicate(customer: Customer | None, candidate: Prospect) -> None:
    twin = existing_customer(candidate)
    if twin is not None and (customer is None or twin.pk != customer.pk):
        raise Conflict(
            gettext("This customer exists already: %(name)s.") % {"name": twin.name},
            fields={"customer": f"/customers/{twin.pk}/"},
            code="duplicate",
        )


def _prospect(values: dict[str, Any], mobile: str = "") -> Prospect:
    kind = values.get("kind") or Customer.Kind.COMPANY
    return Prospect(
        kind=kind,
        name=values["name"],
        name_key=company_key(values["name"]) if kind == Customer.Kind.COMPANY else "",
        credit_code=values.get("credit_code", ""),
        industry="",
        region="",
        address="",
        employees=None,
        contact=Person(name="", mobile=mobile),
    )


def _grade(customer: Customer) -> str:
    return grade_of(
        Thresholds.current(),
        expected_sales=customer.expected_annual_sales,
        purchasing_power=customer.purchasing_power,
        potential=customer.potential,
        frequency=customer.purchase_frequency,
    )


def _regrade(customer: Customer, by: User | None, why: str) -> None:
    grade = _grade(customer)
    if grade != customer.grade:
        before, customer.grade = customer.grade, grade
        Customer.objects.filter(pk=customer.pk).update(grade=grade)
        schedule_contact(customer)  # the new grade's cadence
        customer_event_record(customer, "graded", by, {"from": before, "to": grade, "why": why})


@transaction.atomic
def customer_create(
    *,
    values: dict[str, Any],
    contacts: Iterable[dict[str, Any]] = (),
    by: User,
    owner: User | None = None,
) -> Customer:
    """A customer entered by hand (CUS-1), owned by `owner` or whoever enters it; refused
    when the credit code or company name belongs to a customer already."""
    if not by.has_permission(CUSTOMERS_CREATE):
        raise Forbidden(gettext("You may not create customers."))
    values = dict(values)
    if not values.get("kind") and values.get("name"):
        values["kind"] = guess_kind(normalize_name(str(values["name"])))
    values.setdefault("category", Customer.Category.POTENTIAL)
    cleaned = _clean(values)
    if "name" not in cleaned:
        raise ValidationFailed(gettext("The customer was not saved."), fields={"name": "required"})
    people = [_clean_contact(contact) for contact in contacts]
    _refuse_duplicate(None, _prospect(cleaned, people[0]["mobile"] if people else ""))
    now = timezone.now()
    customer = Customer(**cleaned, owner=owner or by, created_by=by, created_at=now, updated_at=now)
    customer.name_key = company_key(customer.name) if customer.kind == Customer.Kind.COMPANY else ""
    customer.grade = _grade(customer)
    customer.save()
    schedule_contact(customer)
    customer_event_record(customer, "created", by, {"entered": "by hand", "grade": customer.grade})
    for person in people:
        Contact.objects.create(
            customer=customer, **person, primary=not customer.contacts.exists(), created_at=now
        )
    return customer


def recorded_late(changed_on: date | None, today: date) -> bool:
    """An important change recorded more working days after it happened than allowed."""
    if changed_on is None:
        return False
    if changed_on > today:
        raise ValidationFailed(
            gettext("The customer was not saved."),
            fields={"changed_on": gettext("%(day)s is in the future") % {"day": changed_on}},
        )
    calendar = WorkCalendar.for_company()
    allowed = get_settings("customers.important_")["customers.important_change_days"]
    days = sum(
        calendar.is_working_day(changed_on + timedelta(days=n))
        for n in range(1, (today - changed_on).days + 1)
    )
    return days > allowed


@transaction.atomic
def customer_update(
    *, customer: Customer, changes: dict[str, Any], by: User, changed_on: date | None = None
) -> Customer:
    """Change the profile; every changed field is kept with before and after (CUS-4), the
    grade follows (CUS-3). `changed_on`: when an important change happened in reality; one
    recorded too many working days later is marked late. The caller passes a customer `by`
    may see."""
    late = recorded_late(changed_on, timezone.localdate())
    cleaned = _clean(changes)
    diff = {
        name: [_plain(getattr(customer, name)), _plain(value)]
        for name, value in cleaned.items()
        if getattr(customer, name) != value
    }
    if not diff:
        return customer
    if "name" in cleaned or "credit_code" in cleaned or "kind" in cleaned:
        merged = {
            "name": cleaned.get("name", customer.name),
            "kind": cleaned.get("kind", customer.kind),
            "credit_code": cleaned.get("credit_code", customer.credit_code),
        }
        _refuse_duplicate(customer, _prospect(merged))
    for name, value in cleaned.items():
        setattr(customer, name, value)
    customer.name_key = company_key(customer.name) if customer.kind == Customer.Kind.COMPANY else ""
    customer.updated_at = timezone.now()
    customer.save()
    customer_event_record(
        customer,
        "changed",
        by,
        {
            "fields": diff,
            "important": bool(IMPORTANT_FIELDS & diff.keys()),
            "changed_on": changed_on.isoformat() if changed_on else None,
            "late": late and bool(IMPORTANT_FIELDS & diff.keys()),
        },
    )
    if any(name in diff for name in GRADE_FIELDS):
        _regrade(customer, by, "profile")
    return customer


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _clean_contact(values: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = "required"
    person = {
        "name": name,
        "title": str(values.get("title") or "").strip(),
        "role": str(values.get("role") or "").strip(),
        "mobile": "",
        "landline": "",
        "email": "",
    }
    for field in ("mobile", "landline"):
        raw = str(values.get(field) or "").strip()
        if raw:
            try:
                phone = normalize_phone(raw, field)
            except CleaningError as error:
                errors[field] = f"{raw!r}: {error.reason}"
            else:
                person[phone.kind] = phone.e164
    raw_email = str(values.get("email") or "").strip()
    if raw_email:
        try:
            person["email"] = normalize_email(raw_email)
        except CleaningError as error:
            errors["email"] = f"{raw_email!r}: {error.reason}"
    errors.update(unstorable_fields(Contact, person))
    if errors:
        raise ValidationFailed(gettext("The contact was not saved."), fields=errors)
    return person


@transaction.atomic
def contact_add(*, customer: Customer, values: dict[str, Any], by: User) -> Contact:
    """Add a contact (CUS-1); a change of contacts is important (CUS-4)."""
    person = _clean_contact(values)
    now = timezone.now()
    contact = Contact.objects.create(
        customer=customer, **person, primary=not customer.contacts.exists(), created_at=now
    )
    customer_event_record(
        customer,
        "contact_added",
        by,
        {"name": contact.name, "role": contact.role, "important": True},
    )
    return contact


def due_for_review(user: User, now: datetime):
    """The customers the user holds (data scope) whose data was not reviewed within
    `customers.data_review_days`: the monthly review list (CUS-4), oldest first."""
    days = get_settings("customers.data_")["customers.data_review_days"]
    return (
        Customer.objects.filter(scope_filter(user))
        .filter(
            Q(data_reviewed_at__isnull=True, created_at__lt=now - timedelta(days=days))
            | Q(data_reviewed_at__lt=now - timedelta(days=days))
        )
        .select_related("owner")
        .order_by(F("data_reviewed_at").asc(nulls_first=True), "id")
    )


@transaction.atomic
def customer_data_confirm(*, customer: Customer, by: User, note: str = "") -> Customer:
    """The owner checked the whole profile and it is up to date (CUS-4)."""
    now = timezone.now()
    Customer.objects.filter(pk=customer.pk).update(data_reviewed_at=now)
    customer.data_reviewed_at = now
    customer_event_record(customer, "data_reviewed", by, {"note": note.strip()[:200]})
    return customer
