"""What the lead pages share: the export columns and the POST-then-back helpers."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from leadflow.core.errors import DomainError
from leadflow.core.ui import (
    invalid_form_message,
    refused_message,
)

from ..models import (
    Lead,
)
from ..queries import (
    lead_for,
)

EXPORT_LIMIT = 100_000


EXPORT_HEADERS = [
    _("Number"),
    _("Status"),
    _("Name"),
    _("Contact"),
    _("Mobile"),
    _("Email"),
    _("Industry"),
    _("Need"),
    _("Region"),
    _("Channel"),
    _("Channel detail"),
    _("Acquired at"),
    _("Owner"),
    _("Score"),
    _("Grade"),
]


def lead_action(request, lead_id: int, action, done) -> Lead:
    """A button on a lead: run the service on the lead the user may see; a refusal
    becomes a message with each field's reason, success the `done(lead)` message."""
    lead = lead_for(request.user, lead_id)
    if lead is None:
        raise Http404
    try:
        action(lead)
    except DomainError as error:
        refused_message(request, error)
    else:
        messages.success(request, done(lead))
    return lead


def lead_form_action(request, lead_id: int, form_class, service, done):
    """A quick-entry form on the lead page: its errors as one message, else the service
    called with the form's values (see `lead_action`)."""
    form = form_class(request.POST)
    if not form.is_valid():
        invalid_form_message(request, form)
        return redirect("lead", lead_id=lead_id)
    lead = lead_action(
        request,
        lead_id,
        lambda lead: service(lead=lead, by=request.user, **form.cleaned_data),
        done,
    )
    return back_to_lead(request, lead)


def back_to_lead(request, lead: Lead):
    return redirect(request.POST.get("next") or f"/leads/{lead.pk}/")
