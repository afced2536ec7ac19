"""Tags on leads (AUT-1): put on or taken off by a person on the lead page or the API, or
by a journey's step; each change is on the lead's timeline, where a journey can start."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from leadflow.core.errors import ValidationFailed
from leadflow.core.storable import unstorable_fields

from .events import lead_tagged, lead_untagged
from .models import Lead, LeadTag


def tag_checked(tag: str) -> str:
    """The tag as stored, or a field error: 1 to 30 characters, no commas."""
    name = " ".join(str(tag or "").split())
    if not name or len(name) > 30 or "," in name or "，" in name:
        raise ValidationFailed(
            gettext("The tag was not saved."),
            fields={"tag": gettext("1 to 30 characters, without commas")},
        )
    if errors := unstorable_fields(LeadTag, {"name": name}):
        raise ValidationFailed(gettext("The tag was not saved."), fields={"tag": errors["name"]})
    return name


@transaction.atomic
def lead_tag_add(*, lead: Lead, tag: str, by=None) -> bool:
    """Put a tag on the lead; False when it had it already (nothing written)."""
    name = tag_checked(tag)
    _tag, made = LeadTag.objects.get_or_create(
        lead=lead, name=name, defaults={"added_at": timezone.now(), "added_by": by}
    )
    if made:
        lead_tagged(lead, tag=name, by=by)
    return made


@transaction.atomic
def lead_tag_remove(*, lead: Lead, tag: str, by) -> bool:
    """Take a tag off the lead; False when it did not have it."""
    removed, _kinds = LeadTag.objects.filter(lead=lead, name=tag).delete()
    if removed:
        lead_untagged(lead, tag=tag, by=by)
    return bool(removed)
