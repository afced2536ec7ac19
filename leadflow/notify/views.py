from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from leadflow.accounts.models import Team
from leadflow.core.errors import DomainError
from leadflow.core.permissions import NOTIFY_MANAGE
from leadflow.core.ui import form_error, page_of, permission_required

from .inbox import notifications_for, notifications_mark_read, unread_count
from .models import Delivery, Platform, Robot
from .robots_admin import robot_create, robot_delete, robot_test, robot_update


@login_required
def notifications_page(request):
    entries = notifications_for(request.user)
    if request.GET.get("unread"):
        entries = entries.filter(read_at__isnull=True)
    return render(request, "notify/notifications.html", {"page": page_of(request, entries, 30)})


@login_required
def bell(request):
    """The bell's badge, refreshed by htmx every minute."""
    return render(request, "notify/bell.html", {"unread": unread_count(request.user)})


@require_POST
@login_required
def mark_read(request):
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()] or None
    notifications_mark_read(user=request.user, ids=ids)
    return redirect(request.POST.get("next") or "notifications")


class RobotForm(forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.select_related("department")
    )
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    name = forms.CharField(label=_("Name"), max_length=60)
    webhook_url = forms.CharField(label=_("Webhook URL"), max_length=500)
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=200,
        required=False,
        help_text=_(
            "DingTalk and Feishu “signature” security setting; leave empty to keep the stored one."
        ),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)


@permission_required(NOTIFY_MANAGE)
def robots_page(request):
    form = RobotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            robot_create(
                by=request.user,
                team=data["team"],
                platform=data["platform"],
                name=data["name"],
                webhook_url=data["webhook_url"],
                secret=data["secret"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("robots")
    robots = Robot.objects.select_related("team")
    return render(request, "notify/robots.html", {"form": form, "robots": robots})


@permission_required(NOTIFY_MANAGE)
def robot_edit(request, robot_id: int):
    robot = get_object_or_404(Robot, pk=robot_id)
    form = RobotForm(
        request.POST or None,
        initial={
            "team": robot.team,
            "platform": robot.platform,
            "name": robot.name,
            "webhook_url": robot.webhook_url,
            "enabled": robot.enabled,
        },
    )
    form.fields["team"].disabled = form.fields["platform"].disabled = True
    if request.method == "POST" and "delete" in request.POST:
        robot_delete(by=request.user, robot=robot)
        messages.success(request, gettext("Deleted."))
        return redirect("robots")
    if request.method == "POST" and "test" in request.POST:
        robot_test(by=request.user, robot=robot)
        messages.success(request, gettext("A test message is on its way; see the delivery log."))
        return redirect("deliveries")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            robot_update(
                by=request.user,
                robot=robot,
                name=data["name"],
                webhook_url=data["webhook_url"],
                enabled=data["enabled"],
                secret=data["secret"] or None,
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("robots")
    return render(request, "notify/robot_form.html", {"form": form, "edited": robot})


@permission_required(NOTIFY_MANAGE)
def deliveries_page(request):
    entries = Delivery.objects.select_related("robot", "recipient")
    if request.GET.get("status"):
        entries = entries.filter(status=request.GET["status"])
    return render(
        request,
        "notify/deliveries.html",
        {
            "page": page_of(request, entries),
            "statuses": Delivery.Status.choices,
            "filters": request.GET,
        },
    )
