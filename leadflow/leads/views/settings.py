"""Lead settings: channels, non-target rules and web forms."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from leadflow.core.errors import DomainError
from leadflow.core.ui import (
    form_error,
    permission_required,
)

from ..config import config_add, config_toggle
from ..forms import (
    ChannelForm,
    RuleForm,
    WebFormForm,
)
from ..models import (
    Channel,
    NonTargetRule,
    WebForm,
)
from ..permissions import (
    LEADS_CONFIGURE,
)
from ..webforms import webform_create


@permission_required(LEADS_CONFIGURE)
def lead_settings_page(request):
    """Channels, non-target rules and web forms: the rules of capture, as data."""
    channel_form = ChannelForm(
        request.POST if "add_channel" in request.POST else None, prefix="channel"
    )
    rule_form = RuleForm(request.POST if "add_rule" in request.POST else None, prefix="rule")
    webform_form = WebFormForm(request.POST if "add_form" in request.POST else None, prefix="form")
    for form in (channel_form, rule_form):
        if form.is_bound and form.is_valid():
            config_add(by=request.user, item=form.save(commit=False))
            messages.success(request, gettext("Saved."))
            return redirect("lead_settings")
    if webform_form.is_bound and webform_form.is_valid():
        try:
            webform_create(by=request.user, **webform_form.cleaned_data)
        except DomainError as error:
            form_error(webform_form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("lead_settings")
    if request.method == "POST" and "toggle" in request.POST:
        model = {"channel": Channel, "rule": NonTargetRule, "form": WebForm}.get(
            request.POST["toggle"]
        )
        if model is not None:
            config_toggle(by=request.user, item=get_object_or_404(model, pk=request.POST.get("id")))
            return redirect("lead_settings")
    return render(
        request,
        "leads/settings.html",
        {
            "channels": Channel.objects.all(),
            "rules": NonTargetRule.objects.all(),
            "webforms": WebForm.objects.select_related("channel"),
            "channel_form": channel_form,
            "rule_form": rule_form,
            "webform_form": webform_form,
            "site_url": settings.SITE_URL,
        },
    )
