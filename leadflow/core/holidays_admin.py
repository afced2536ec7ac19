"""The company holiday table: days off and make-up working days an admin enters."""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext

from .audit import audit_record
from .errors import ValidationFailed
from .models import CompanyHoliday


@transaction.atomic
def holiday_set(*, by, day: date, kind: str, name: str = "") -> CompanyHoliday:
    """Make `day` a day off or a working day for the company (replacing any earlier entry)."""
    if kind not in CompanyHoliday.Kind.values:
        raise ValidationFailed(
            gettext("Choose day off or working day."),
            fields={
                "kind": gettext("%(value)r is not one of %(allowed)s")
                % {"value": kind, "allowed": ", ".join(CompanyHoliday.Kind.values)}
            },
        )
    before = CompanyHoliday.objects.filter(date=day).values("kind", "name").first()
    holiday, _ = CompanyHoliday.objects.update_or_create(
        date=day, defaults={"kind": kind, "name": name.strip()}
    )
    audit_record(
        actor=by,
        action="holiday.set",
        obj=holiday,
        changes={
            "kind": [before and before["kind"], kind],
            "name": [before and before["name"], holiday.name],
        },
    )
    return holiday


@transaction.atomic
def holiday_remove(*, by, day: date) -> None:
    holiday = CompanyHoliday.objects.filter(date=day).first()
    if holiday is None:
        return
    audit_record(actor=by, action="holiday.remove", obj=holiday)
    holiday.delete()
