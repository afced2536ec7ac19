"""Public web forms (LEAD-CAP-2): a company website posts to /f/{key} or embeds the form.

A submission is captured by the same `lead_capture` as any other lead, with the form's
consent notice, after the honeypot and the per-IP rate limit (SEC-5)."""

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.core.audit import audit_record, changed_fields, snapshot
from leadflow.core.errors import RateLimited, ValidationFailed
from leadflow.core.ratelimit import rate_hit
from leadflow.core.storable import unstorable_text

from .capture import CaptureResult, lead_capture
from .cleaning import Consent
from .models import Channel, WebForm

# What a web form may ask, in the order it shows them; name, industry, need and a mobile or
# an email are always asked (LEAD-CAP-3).
FORM_FIELDS = {
    "name": _("Company or your name"),
    "contact_name": _("Contact person"),
    "mobile": _("Mobile"),
    "email": _("Email"),
    "industry": _("Industry"),
    "need": _("What do you need?"),
    "region": _("Region"),
    "employees": _("Employees"),
    "budget": _("Budget"),
}
ALWAYS_REQUIRED = ("name", "industry", "need")
HONEYPOT = "website"  # invisible to people; a bot that fills it is thanked and ignored
FORM_FIELDS_EDITABLE = [
    "name",
    "channel",
    "channel_detail",
    "required_fields",
    "consent_text",
    "consent_version",
    "thank_you",
    "rate_per_hour",
    "active",
]


def _check_form(
    *, name: str, consent_text: str, consent_version: str, required_fields: list[str]
) -> None:
    errors = {}
    if not name.strip():
        errors["name"] = "required"
    if not consent_text.strip():
        errors["consent_text"] = "the privacy notice visitors agree to is required (LEAD-CAP-5)"
    if not consent_version.strip():
        errors["consent_version"] = "required"
    unknown = [field for field in required_fields if field not in FORM_FIELDS]
    if unknown:
        errors["required_fields"] = f"unknown fields: {', '.join(unknown)}"
    if errors:
        raise ValidationFailed(gettext("Please correct the marked fields."), fields=errors)


@transaction.atomic
def webform_create(
    *,
    by,
    name: str,
    channel: Channel,
    consent_text: str,
    consent_version: str,
    channel_detail: str = "",
    required_fields: list[str] | None = None,
    thank_you: str = "",
    rate_per_hour: int = 20,
) -> WebForm:
    required_fields = required_fields or []
    _check_form(
        name=name,
        consent_text=consent_text,
        consent_version=consent_version,
        required_fields=required_fields,
    )
    form = WebForm.objects.create(
        key=secrets.token_urlsafe(9).replace("-", "x").replace("_", "y").lower(),
        name=name.strip(),
        channel=channel,
        channel_detail=channel_detail.strip(),
        required_fields=required_fields,
        consent_text=consent_text.strip(),
        consent_version=consent_version.strip(),
        thank_you=thank_you.strip(),
        rate_per_hour=rate_per_hour,
    )
    audit_record(actor=by, action="webform.create", obj=form)
    return form


@transaction.atomic
def webform_update(*, by, form: WebForm, **values: Any) -> WebForm:
    _check_form(
        name=values["name"],
        consent_text=values["consent_text"],
        consent_version=values["consent_version"],
        required_fields=values.get("required_fields") or [],
    )
    before = snapshot(form, FORM_FIELDS_EDITABLE)
    for name, value in values.items():
        setattr(form, name, value.strip() if isinstance(value, str) else value)
    form.save()
    audit_record(
        actor=by,
        action="webform.update",
        obj=form,
        changes=changed_fields(before, snapshot(form, FORM_FIELDS_EDITABLE)),
    )
    return form


def webform_submit(*, form: WebForm, data: Mapping[str, Any], ip: str) -> CaptureResult | None:
    """Capture a submission; None when the honeypot caught a bot (it is thanked all the same).

    RateLimited when this address sent too many; ValidationFailed naming each field."""
    if not rate_hit(f"webform:{form.pk}:{ip}", limit=form.rate_per_hour, window=timedelta(hours=1)):
        raise RateLimited(
            gettext("Too many submissions from your address; please try again later."),
            fields={"ip": ip},
        )
    if str(data.get(HONEYPOT) or "").strip():
        return None
    errors = {
        field: "required"
        for field in (*ALWAYS_REQUIRED, *form.required_fields)
        if not str(data.get(field) or "").strip()
    }
    # A JSON post may send anything: a field is text or a number, never a list or object.
    errors.update(
        {
            field: "expected text, not a list or an object"
            for field in (*FORM_FIELDS, "consent")
            if isinstance(data.get(field), dict | list)
        }
    )
    errors.update(unstorable_text({field: data.get(field) for field in FORM_FIELDS}))
    if str(data.get("consent") or "").strip().lower() not in ("on", "true", "1", "yes"):
        errors["consent"] = "please agree to the privacy notice"
    if errors:
        raise ValidationFailed(gettext("Please correct the marked fields."), fields=errors)
    values = {field: data.get(field) for field in FORM_FIELDS}
    values.update(
        channel=form.channel.code,
        channel_detail=form.channel_detail or form.name,
        campaign_id=form.campaign_id,
    )
    consent = Consent(notice_version=form.consent_version, channel=f"web form {form.key}")
    return lead_capture(values=values, consent=consent, via="form")
