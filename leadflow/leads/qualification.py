"""The qualification fields automation may set on a lead (AUT-1: a journey's "set a
field" step): never personal data, never the stage (a rep moves it with a fact). Each
change is on the lead's timeline and the lead is re-scored."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.core.errors import ValidationFailed
from leadflow.core.storable import unstorable_fields

from .events import lead_field_changed
from .models import Lead
from .scoring import lead_rescore

SETTABLE_FIELDS = {
    "purchase_timeline": _("Purchase timeline"),
    "budget": _("Budget"),
    "industry": _("Industry"),
    "region": _("Region"),
    "current_supplier": _("Current supplier"),
}


@transaction.atomic
def lead_field_set(*, lead: Lead, field: str, value: str, reason: str) -> bool:
    """Set one qualification field of the lead (a journey's step), on its timeline, and
    re-score it; False when it held that value already."""
    if field not in SETTABLE_FIELDS:
        raise ValidationFailed(
            gettext("The field was not set."),
            fields={"field": gettext("one of %(fields)s") % {"fields": ", ".join(SETTABLE_FIELDS)}},
        )
    value = " ".join(str(value or "").split())
    if errors := unstorable_fields(Lead, {field: value}):
        raise ValidationFailed(gettext("The field was not set."), fields={"value": errors[field]})
    before = str(getattr(lead, field) or "")
    if before == value:
        return False
    Lead.objects.filter(pk=lead.pk).update(**{field: value}, updated_at=timezone.now())
    setattr(lead, field, value)
    lead_field_changed(lead, field=field, before=before, after=value, reason=reason)
    lead_rescore(lead=lead, trigger="field_set")
    return True
