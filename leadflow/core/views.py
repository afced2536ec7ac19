from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from .audit import audit_entries
from .company_settings import REGISTRY, SettingDef, get_settings, settings_update
from .errors import DomainError
from .exports import export_response
from .health import health_report
from .holidays_admin import holiday_remove, holiday_set
from .models import CompanyHoliday
from .permissions import AUDIT_VIEW, SETTINGS_MANAGE
from .saved_views import saved_view_delete, saved_view_save
from .ui import form_error, page_of, permission_required, refused_message
from .worktime import WorkCalendar


def healthz(request):
    """Cheap for load balancers; `?deep=1` also counts the queue now and checks writes."""
    database_ok, report = health_report(deep=request.GET.get("deep") in ("1", "true", "yes"))
    return JsonResponse(report, status=200 if database_ok else 503, encoder=DjangoJSONEncoder)


def _field_for(definition: SettingDef, initial) -> forms.Field:
    field: forms.Field
    if definition.kind == "bool":
        field = forms.BooleanField(required=False)
    elif definition.kind == "int":
        field = forms.IntegerField(min_value=definition.minimum, max_value=definition.maximum)
    elif definition.kind == "text":
        field = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    elif definition.kind == "time":
        field = forms.CharField(widget=forms.TimeInput(attrs={"type": "time"}))
    elif definition.kind == "choice":
        field = forms.ChoiceField(choices=definition.choices)
    else:
        field = forms.CharField(max_length=200)
    field.label, field.help_text, field.initial = definition.label, definition.help, initial
    if definition.default == "":
        field.required = False  # optional, like the company name shown in emails
    return field


def _settings_form(values: dict, data=None) -> forms.Form:
    form = forms.Form(data)
    for key, definition in REGISTRY.items():
        form.fields[key] = _field_for(definition, values[key])
    return form


@permission_required(SETTINGS_MANAGE)
def settings_page(request):
    values = get_settings()
    form = _settings_form(values, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            changed = settings_update(changes=form.cleaned_data, by=request.user)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request, gettext("%(count)d settings saved.") % {"count": len(changed)}
            )
            return redirect("settings")
    # {group: [(bound field, spans the whole row)]} in the order the settings were declared
    groups: dict[str, list] = {}
    for key, definition in REGISTRY.items():
        groups.setdefault(str(definition.group), []).append((form[key], definition.kind == "text"))
    return render(request, "core/settings.html", {"form": form, "groups": groups})


class HolidayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=CompanyHoliday.Kind.choices)
    name = forms.CharField(label=_("Name"), required=False, max_length=100)


@permission_required(SETTINGS_MANAGE)
def holidays_page(request):
    form = HolidayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            holiday_set(
                by=request.user,
                day=form.cleaned_data["date"],
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("holidays")
    today = timezone.localdate()
    year = int(request.GET.get("year") or today.year)
    return render(
        request,
        "core/holidays.html",
        {
            "form": form,
            "year": year,
            "years": range(today.year - 1, today.year + 3),
            "days": WorkCalendar.for_company().special_days(year),
        },
    )


@require_POST
@permission_required(SETTINGS_MANAGE)
def holiday_delete(request, day: str):
    parsed = parse_date(day)
    if parsed:
        holiday_remove(by=request.user, day=parsed)
        messages.success(request, gettext("Removed."))
    return redirect("holidays")


def _day_start(text: str, *, next_day: bool = False) -> datetime | None:
    """The start of a date typed in a filter box (company time), or None."""
    day = parse_date(text.strip()) if text else None
    if day is None:
        return None
    moment = timezone.make_aware(datetime.combine(day, time.min))
    return moment + timedelta(days=1) if next_day else moment


AUDIT_HEADERS = [
    _("Time"),
    _("User"),
    _("IP address"),
    _("Action"),
    _("Object type"),
    _("Object id"),
    _("Object"),
    _("Changes"),
]


@permission_required(AUDIT_VIEW)
def audit_page(request):
    filters = {
        "action": request.GET.get("action", "").strip(),
        "object_type": request.GET.get("object_type", "").strip(),
        "text": request.GET.get("q", "").strip(),
        "since": _day_start(request.GET.get("since", "")),
        "until": _day_start(request.GET.get("until", ""), next_day=True),
    }
    entries = audit_entries(**filters)
    export = request.GET.get("export")
    if export:
        rows = (
            [
                e.at,
                e.actor_name,
                e.ip,
                e.action,
                e.object_type,
                e.object_id,
                e.object_repr,
                e.changes,
            ]
            for e in entries[:100_000]
        )
        return export_response(
            user=request.user,
            name="audit",
            fmt=export,
            headers=AUDIT_HEADERS,
            rows=rows,
            filters={k: str(v) for k, v in filters.items() if v},
        )
    return render(
        request, "core/audit.html", {"page": page_of(request, entries), "filters": request.GET}
    )


def _back_to_list(request):
    """Back to the list the form was posted from (a path of this site), else home."""
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")


@require_POST
@login_required
def saved_view_save_view(request):
    """我的视图: keep the list's filters, sort and columns under a name."""
    try:
        view = saved_view_save(
            user=request.user,
            page=request.POST.get("page", ""),
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
        )
    except DomainError as error:
        refused_message(request, error)
        return _back_to_list(request)
    messages.success(request, gettext("View “%(name)s” saved.") % {"name": view.name})
    return _back_to_list(request)


@require_POST
@login_required
def saved_view_delete_view(request, view_id: int):
    try:
        saved_view_delete(user=request.user, view_id=view_id)
    except DomainError as error:
        refused_message(request, error)
    else:
        messages.success(request, gettext("View deleted."))
    return _back_to_list(request)
