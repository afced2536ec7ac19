import json
from datetime import timedelta
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leadflow.accounts.models import Team, User
from leadflow.core.company_settings import get_setting, get_settings
from leadflow.core.context import ip_from_request
from leadflow.core.errors import DomainError, RateLimited, ValidationFailed
from leadflow.core.exports import export_from_request, export_response
from leadflow.core.paging import page_for_request
from leadflow.core.personal import personal_data_viewed, personal_list_viewed, shown
from leadflow.core.ui import (
    form_error,
    invalid_form_message,
    kept_upload,
    permission_required,
    refused_message,
)

from .assignment import (
    lead_accept,
    lead_assign_manual,
    lead_decline,
    load_candidates,
    reassign_request_create,
    reassign_request_decide,
    rep_profile_save,
    team_profile_save,
)
from .capture import lead_capture, lead_merge, lead_merge_undo, lead_outside_scope, lead_verify
from .cleaning import Consent
from .config import config_add, config_toggle
from .followup import DUE_WINDOWS, followup_record, lead_stage_set, supervision
from .importer import template_csv
from .imports import import_start
from .models import (
    Channel,
    FollowUp,
    ImportBatch,
    Lead,
    LeadMerge,
    LeadStatus,
    NonTargetRule,
    Priority,
    ReassignRequest,
    RepProfile,
    ScoreRule,
    Stage,
    TeamProfile,
    WebForm,
)
from .permissions import (
    LEADS_ASSIGN,
    LEADS_CLAIM,
    LEADS_CONFIGURE,
    LEADS_CREATE,
    LEADS_IMPORT,
    LEADS_MERGE,
    LEADS_PRIORITY,
    LEADS_VERIFY,
)
from .pool import claim_limits, lead_claim, may_see_pool, pool_lead, pool_leads
from .queries import (
    POOL_SOON,
    LeadFilters,
    converted_leads,
    due_leads,
    filtered_leads,
    lead_for,
    lead_sources,
    lead_timeline,
    leads_visible_to,
)
from .scoring import (
    lead_breakdown,
    lead_event_record,
    lead_priority_set,
    score_rule_preview,
    score_rule_save,
)
from .webforms import FORM_FIELDS, HONEYPOT, webform_create, webform_submit

EXPORT_LIMIT = 100_000
EXPORT_HEADERS = [
    "number",
    "status",
    "name",
    "contact",
    "mobile",
    "email",
    "industry",
    "need",
    "region",
    "channel",
    "channel detail",
    "acquired at",
    "owner",
    "score",
    "grade",
]


# ---------------------------------------------------------------- public web form


@csrf_exempt  # posted from the company's own website; the honeypot and rate limit guard it
@xframe_options_exempt  # meant to be embedded in an iframe
def public_form(request, key: str):
    form = WebForm.objects.select_related("channel").filter(key=key, active=True).first()
    if form is None:
        raise Http404(key)
    wants_json = (
        "json" in request.headers.get("Accept", "") or request.content_type == "application/json"
    )
    context = {
        "form": form,
        "fields": _shown_fields(form),
        "honeypot": HONEYPOT,
        "errors": {},
        "data": {},
    }
    if request.method != "POST":
        return render(request, "leads/public_form.html", context)
    data = _posted(request)
    try:
        result = webform_submit(form=form, data=data, ip=ip_from_request(request) or "unknown")
    except DomainError as error:
        if wants_json:
            body = {"error": {"code": error.code, "message": error.message, "fields": error.fields}}
            return JsonResponse(body, status=error.status)
        status = 429 if isinstance(error, RateLimited) else 422
        context.update(errors=error.fields, data=data, message=error.message)
        return render(request, "leads/public_form.html", context, status=status)
    if wants_json:
        return JsonResponse(
            {"ok": True, "message": form.thank_you or gettext("Thank you!")}, status=201
        )
    return render(
        request, "leads/public_thanks.html", {"form": form, "received": result is not None}
    )


def _posted(request) -> dict:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except json.JSONDecodeError:
            body = {}
        return body if isinstance(body, dict) else {}
    return request.POST.dict()


def _shown_fields(form: WebForm) -> list[dict]:
    required = {"name", "industry", "need", *form.required_fields}
    return [
        {"name": name, "label": label, "required": name in required}
        for name, label in FORM_FIELDS.items()
    ]


# ---------------------------------------------------------------- lead list and pages


@login_required
def leads_page(request):
    filters = LeadFilters(
        q=request.GET.get("q", ""),
        status=request.GET.get("status", ""),
        channel=request.GET.get("channel", ""),
        kind=request.GET.get("kind", ""),
    )
    leads = filtered_leads(request.user, filters)
    if request.GET.get("export"):
        rows = (
            [
                lead.number,
                lead.get_status_display(),
                lead.name,
                lead.contact_name,
                lead.mobile,
                lead.email,
                lead.industry,
                lead.need,
                lead.region,
                lead.channel.name,
                lead.channel_detail,
                lead.acquired_at,
                lead.owner,
                lead.score,
                lead.grade,
            ]
            for lead in leads.order_by("-id")[:EXPORT_LIMIT]
        )
        return export_from_request(request, name="leads", headers=EXPORT_HEADERS, rows=rows)
    page, next_cursor = page_for_request(leads, request)
    personal_list_viewed(user=request.user, object_type="leads.lead", shown_whole=len(page))
    return render(
        request,
        "leads/list.html",
        {
            "leads": page,
            "next_cursor": next_cursor,
            "filters": request.GET,
            "statuses": [
                *(s for s in LeadStatus.choices if s[0] != LeadStatus.MERGED),
                (POOL_SOON, gettext("Going back to the pool soon")),
            ],
            "channels": Channel.objects.filter(active=True),
            "first_page": not request.GET.get("cursor"),
        },
    )


@login_required
def lead_page(request, lead_id: int):
    lead = lead_for(request.user, lead_id)
    if lead is None:
        raise Http404
    personal_data_viewed(user=request.user, obj=lead)
    merges = LeadMerge.objects.filter(survivor=lead).select_related("merged", "by").order_by("-at")
    return render(
        request,
        "leads/detail.html",
        {
            "lead": lead,
            "timeline": lead_timeline(lead),
            "sources": lead_sources(lead),
            "merges": merges,
            "can_verify": request.user.has_permission(LEADS_VERIFY)
            and lead.status == LeadStatus.TO_VERIFY,
            "can_merge": request.user.has_permission(LEADS_MERGE),
            "breakdown": lead_breakdown(lead),
            "overdue": lead.next_due_at is not None and lead.next_due_at < timezone.now(),
            "events": ScoreRule.Event.choices,
            "priorities": Priority.choices,
            "can_record": request.user.has_permission(LEADS_CREATE)
            and lead.status != LeadStatus.MERGED,
            "can_prioritise": request.user.has_permission(LEADS_PRIORITY)
            and lead.status != LeadStatus.MERGED,
            **_assignment_context(request, lead),
        },
    )


def _assignment_context(request, lead: Lead) -> dict:
    """What the lead page shows and offers about who owns the lead (LEAD-ASN)."""
    mine = lead.owner_id == request.user.pk
    decline_hours = get_settings("assign.")["assign.decline_hours"]
    can_assign = request.user.has_permission(LEADS_ASSIGN) and lead.status in (
        LeadStatus.TO_ASSIGN,
        LeadStatus.ASSIGNED,
        LeadStatus.ACCEPTED,
        LeadStatus.NURTURE,
    )
    can_follow_up = lead.status == LeadStatus.ACCEPTED and (
        mine or request.user.has_permission(LEADS_ASSIGN)
    )
    return {
        "followups": lead.followups.select_related("by")[:20],
        "followup_form": FollowUpForm() if can_follow_up else None,
        "stage_form": StageForm(initial={"stage": lead.stage}) if can_follow_up else None,
        "assignments": lead.assignments.select_related("rep", "by")[:20],
        "can_accept": mine and lead.status == LeadStatus.ASSIGNED,
        "can_decline": mine
        and lead.status == LeadStatus.ASSIGNED
        and lead.assigned_at is not None
        and timezone.now() <= lead.assigned_at + timedelta(hours=decline_hours),
        "can_request": mine and lead.status in (LeadStatus.ASSIGNED, LeadStatus.ACCEPTED),
        "can_assign": can_assign,
        "assignable_reps": User.objects.filter(is_active=True, rep_profile__isnull=False)
        if can_assign
        else [],
    }


class LeadForm(forms.Form):
    name = forms.CharField(
        label=_("Customer name"),
        max_length=200,
        help_text=_("The company, or the person's name for an individual."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Guess from the name")), *Lead.Kind.choices],
    )
    contact_name = forms.CharField(label=_("Contact"), max_length=60, required=False)
    contact_title = forms.CharField(label=_("Contact title"), max_length=60, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=40, required=False)
    landline = forms.CharField(label=_("Landline"), max_length=40, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    industry = forms.CharField(label=_("Industry"), max_length=60)
    need = forms.CharField(label=_("Initial need"), widget=forms.Textarea(attrs={"rows": 3}))
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    employees = forms.CharField(label=_("Employees"), max_length=20, required=False)
    budget = forms.CharField(label=_("Budget"), max_length=60, required=False)
    purchase_timeline = forms.CharField(label=_("Purchase timeline"), max_length=60, required=False)
    current_supplier = forms.CharField(label=_("Current supplier"), max_length=100, required=False)
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.filter(active=True), to_field_name="code"
    )
    channel_detail = forms.CharField(
        label=_("Channel detail"),
        max_length=100,
        required=False,
        help_text=_("e.g. 展会-2026年行业展, 客户推荐-老客户王"),
    )
    acquired_at = forms.DateTimeField(
        label=_("Acquired at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    consent_given = forms.BooleanField(
        label=_("The customer agreed to the privacy notice"), required=False
    )
    consent_channel = forms.CharField(
        label=_("How they agreed"),
        max_length=40,
        required=False,
        help_text=_("e.g. 电话中口头同意, 展会登记表"),
    )


@permission_required(LEADS_CREATE)
def lead_new(request):
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        consent = (
            Consent(
                notice_version=get_setting("leads.privacy_notice_version"),
                channel=data.pop("consent_channel") or "staff entry",
            )
            if data.pop("consent_given")
            else Consent()
        )
        data["channel"] = data["channel"].code
        try:
            result = lead_capture(values=data, consent=consent, via="ui", by=request.user)
        except DomainError as error:
            form_error(form, error)
            if "consent" in error.fields:
                form.add_error("consent_given", error.fields["consent"])
        else:
            if result.outside_scope:  # kept as the other lead's source; nothing to show
                messages.warning(request, lead_outside_scope(result).message)
                return redirect("leads")
            if result.merged:
                messages.info(
                    request,
                    gettext("This is a known lead: the entry was merged into %(number)s.")
                    % {"number": result.lead.number},
                )
            else:
                messages.success(
                    request, gettext("Lead %(number)s created.") % {"number": result.lead.number}
                )
            return redirect("lead", lead_id=result.lead.pk)
    return render(request, "leads/new.html", {"form": form})


@require_POST
@permission_required(LEADS_VERIFY)
def lead_verify_view(request, lead_id: int):
    lead = _lead_action(
        request,
        lead_id,
        lambda lead: lead_verify(lead=lead, by=request.user),
        lambda lead: gettext("Verified: the lead can now be assigned."),
    )
    return _back(request, lead)


# ---------------------------------------------------------------- duplicates and merges


class MergeForm(forms.Form):
    merged = forms.CharField(label=_("Duplicate lead number"), max_length=20)
    survivor = forms.CharField(label=_("Keep lead number"), max_length=20)


@permission_required(LEADS_MERGE)
def merges_page(request):
    form = MergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        merged_number = form.cleaned_data["merged"].strip().upper()
        survivor_number = form.cleaned_data["survivor"].strip().upper()
        leads = Lead.objects.in_bulk([merged_number, survivor_number], field_name="number")
        merged, survivor = leads.get(merged_number), leads.get(survivor_number)
        if merged is None or survivor is None:
            form.add_error(None, gettext("No lead has that number."))
        else:
            try:
                lead_merge(survivor=survivor, merged=merged, reason="manual", by=request.user)
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(
                    request,
                    gettext("Merged %(a)s into %(b)s.")
                    % {"a": merged.number, "b": survivor.number},
                )
                return redirect("lead_merges")
    recent = LeadMerge.objects.select_related("survivor", "merged", "by").order_by("-at", "-id")[
        :100
    ]
    return render(request, "leads/merges.html", {"form": form, "merges": recent})


@require_POST
@permission_required(LEADS_MERGE)
def merge_undo_view(request, merge_id: int):
    merge = get_object_or_404(LeadMerge, pk=merge_id)
    try:
        restored = lead_merge_undo(merge=merge, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("lead_merges")
    messages.success(
        request,
        gettext("Undone: %(number)s is a lead of its own again.") % {"number": restored.number},
    )
    return redirect("lead", lead_id=restored.pk)


# ---------------------------------------------------------------- import


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
    channel = forms.ModelChoiceField(
        label=_("Channel for rows without one"),
        required=False,
        queryset=Channel.objects.filter(active=True),
        to_field_name="code",
    )
    basis = forms.CharField(
        label=_("Lawful basis for the whole file"),
        max_length=200,
        help_text=_("e.g. 展会登记时已获得书面同意 (PIPL: required for imports)"),
    )


@permission_required(LEADS_IMPORT)
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            form.add_error("file", gettext("Use a .csv or .xlsx file."))
        else:
            try:
                with kept_upload(upload) as path:
                    batch = import_start(
                        path=path,
                        file_name=upload.name,
                        basis=form.cleaned_data["basis"],
                        channel=form.cleaned_data["channel"],
                        by=request.user,
                    )
            except DomainError as error:
                form_error(form, error)
            else:
                return redirect("lead_import_batch", batch_id=batch.pk)
    batches = ImportBatch.objects.filter(created_by=request.user)[:20]
    return render(request, "leads/import.html", {"form": form, "batches": batches})


@permission_required(LEADS_IMPORT)
def import_batch_page(request, batch_id: int):
    batch = get_object_or_404(ImportBatch, pk=batch_id, created_by=request.user)
    template = (
        "leads/import_progress.html"
        if request.headers.get("HX-Request")
        else "leads/import_batch.html"
    )
    return render(request, template, {"batch": batch})


@permission_required(LEADS_IMPORT)
def import_errors(request, batch_id: int):
    batch = get_object_or_404(ImportBatch, pk=batch_id, created_by=request.user)
    return export_response(
        user=request.user,
        name=f"import-{batch.pk}-errors",
        fmt=request.GET.get("format", "csv"),
        headers=["row", "field", "reason"],
        rows=([e["row"], e["field"], e["reason"]] for e in batch.errors),
    )


@login_required
def import_template(request):
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="leadflow-leads-template.csv"'
    return response


# ---------------------------------------------------------------- lead settings


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = ["code", "name", "kind", "requires_verification", "active"]


class RuleForm(forms.ModelForm):
    class Meta:
        model = NonTargetRule
        fields = ["field", "match", "value", "reason", "active"]


class WebFormForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.filter(active=True)
    )
    channel_detail = forms.CharField(label=_("Channel detail"), max_length=100, required=False)
    required_fields = forms.MultipleChoiceField(
        label=_("Also required"),
        required=False,
        choices=[(k, v) for k, v in FORM_FIELDS.items() if k not in ("name", "industry", "need")],
        widget=forms.CheckboxSelectMultiple,
    )
    consent_text = forms.CharField(
        label=_("Privacy notice shown on the form"), widget=forms.Textarea(attrs={"rows": 3})
    )
    consent_version = forms.CharField(
        label=_("Notice version"), max_length=40, initial="privacy-2026-01"
    )
    thank_you = forms.CharField(
        label=_("Thank-you message"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    rate_per_hour = forms.IntegerField(
        label=_("Submissions per IP per hour"), min_value=1, max_value=10000, initial=20
    )


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


# ---------------------------------------------------------------- score rules


class ScoreRuleForm(forms.ModelForm):
    class Meta:
        model = ScoreRule
        fields = [
            "name",
            "dimension",
            "points",
            "field",
            "operator",
            "value",
            "event",
            "min_count",
            "repeatable",
            "active",
        ]


@permission_required(LEADS_CONFIGURE)
def score_rules_page(request):
    """The score rules (LEAD-SCR-1) and grade settings: edit a rule, preview how many leads
    it would move between grades, save it and every lead is re-scored in the background."""
    editing = None
    if rule_id := request.GET.get("edit") or request.POST.get("rule_id"):
        editing = get_object_or_404(ScoreRule, pk=rule_id)
    form = ScoreRuleForm(request.POST or None, instance=editing)
    moves = None
    if request.method == "POST" and form.is_valid():
        rule = form.save(commit=False)
        if "preview" in request.POST:
            try:
                moves = score_rule_preview(rule)
            except DomainError as error:
                form_error(form, error)
        else:
            try:
                score_rule_save(rule=rule, by=request.user)
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, gettext("Saved. Every lead is being re-scored."))
                return redirect("score_rules")
    scoring = get_settings("scoring.")
    return render(
        request,
        "leads/score_rules.html",
        {
            "rules": ScoreRule.objects.all(),
            "form": form,
            "editing": editing,
            "moves": moves,
            "grade_a_min": scoring["scoring.grade_a_min"],
            "grade_b_min": scoring["scoring.grade_b_min"],
            "weighted": scoring["scoring.weighted"],
        },
    )


# ---------------------------------------------------------------- assignment


@login_required
def inbox_page(request):
    """My new leads (LEAD-ASN-5): accept, or decline with a reason while there is time."""
    waiting = (
        Lead.objects.filter(owner=request.user, status=LeadStatus.ASSIGNED)
        .select_related("channel")
        .order_by("accept_by")
    )
    decline_hours = get_settings("assign.")["assign.decline_hours"]
    now = timezone.now()
    rows = [
        {
            "lead": lead,
            "overdue": lead.accept_by is not None and lead.accept_by < now,
            "can_decline": lead.assigned_at is not None
            and now <= lead.assigned_at + timedelta(hours=decline_hours),
        }
        for lead in waiting
    ]
    return render(request, "leads/inbox.html", {"rows": rows, "decline_hours": decline_hours})


def _lead_action(request, lead_id: int, action, done) -> Lead:
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


def _lead_form_action(request, lead_id: int, form_class, service, done):
    """A quick-entry form on the lead page: its errors as one message, else the service
    called with the form's values (see `_lead_action`)."""
    form = form_class(request.POST)
    if not form.is_valid():
        invalid_form_message(request, form)
        return redirect("lead", lead_id=lead_id)
    lead = _lead_action(
        request,
        lead_id,
        lambda lead: service(lead=lead, by=request.user, **form.cleaned_data),
        done,
    )
    return _back(request, lead)


def _back(request, lead: Lead):
    return redirect(request.POST.get("next") or f"/leads/{lead.pk}/")


@require_POST
@permission_required(LEADS_CREATE)
def lead_event_view(request, lead_id: int):
    """Record what the person did (LEAD-SCR-4); the lead is re-scored at once."""
    scores: dict[str, int] = {}

    def record(lead: Lead) -> None:
        scores["before"] = lead.score
        lead_event_record(lead=lead, kind=request.POST.get("kind", ""), by=request.user)
        scores["after"] = lead.score

    lead = _lead_action(
        request,
        lead_id,
        record,
        lambda lead: gettext("Recorded. Score %(before)s → %(after)s.") % scores,
    )
    return _back(request, lead)


@require_POST
@permission_required(LEADS_PRIORITY)
def lead_priority_view(request, lead_id: int):
    """Set the priority against the grade with a reason, or let it follow the grade."""
    lead = _lead_action(
        request,
        lead_id,
        lambda lead: lead_priority_set(
            lead=lead,
            priority=request.POST.get("priority", ""),
            reason=request.POST.get("reason", ""),
            by=request.user,
        ),
        lambda lead: gettext("Priority saved."),
    )
    return _back(request, lead)


@require_POST
@login_required
def lead_accept_view(request, lead_id: int):
    lead = _lead_action(
        request,
        lead_id,
        lambda lead: lead_accept(lead=lead, by=request.user),
        lambda lead: gettext("Accepted: %(number)s is yours.") % {"number": lead.number},
    )
    return _back(request, lead)


@require_POST
@login_required
def lead_decline_view(request, lead_id: int):
    lead = _lead_action(
        request,
        lead_id,
        lambda lead: lead_decline(
            lead=lead, by=request.user, reason=request.POST.get("reason", "")
        ),
        lambda lead: gettext("Declined: the lead went to another rep."),
    )
    return redirect("lead_inbox") if lead.owner_id != request.user.pk else _back(request, lead)


@require_POST
@login_required
def lead_reassign_request_view(request, lead_id: int):
    lead = _lead_action(
        request,
        lead_id,
        lambda lead: reassign_request_create(
            lead=lead, by=request.user, reason=request.POST.get("reason", "")
        ),
        lambda lead: gettext("Sent to marketing for a decision."),
    )
    return _back(request, lead)


@require_POST
@permission_required(LEADS_ASSIGN)
def lead_assign_view(request, lead_id: int):
    def assign(lead: Lead) -> None:
        rep = User.objects.filter(pk=request.POST.get("rep") or 0).first()
        if rep is None:
            raise ValidationFailed(gettext("Choose a rep."), fields={"rep": "required"})
        reason = request.POST.get("reason", "")
        lead_assign_manual(lead=lead, rep=rep, reason=reason, by=request.user)

    lead = _lead_action(
        request,
        lead_id,
        assign,
        lambda lead: gettext("Assigned to %(rep)s.") % {"rep": lead.owner},
    )
    return _back(request, lead)


@permission_required(LEADS_ASSIGN)
def assignment_board(request):
    """Who has how many leads, who is over their accept deadline, what waits and why, and
    the reassignment requests to decide (LEAD-ASN-1…6)."""
    if request.method == "POST" and "decide" in request.POST:
        pending = get_object_or_404(ReassignRequest, pk=request.POST.get("decide"))
        try:
            reassign_request_decide(
                request=pending,
                approve=request.POST.get("approve") == "1",
                by=request.user,
                note=request.POST.get("note", ""),
            )
        except DomainError as error:
            refused_message(request, error)
        return redirect("assignment_board")
    now = timezone.now()
    window = get_settings("assign.")["assign.window_days"]
    overdue = dict(
        Lead.objects.filter(status=LeadStatus.ASSIGNED, accept_by__lt=now)
        .values_list("owner_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    reps = [
        {
            "candidate": candidate,
            "overdue": overdue.get(candidate.rep_id, 0),
            "load": min(100, round(100 * candidate.open_leads / max(candidate.capacity, 1))),
        }
        for candidate in load_candidates(now, window)
    ]
    waiting = Lead.objects.filter(status=LeadStatus.TO_ASSIGN).order_by("grade", "id")
    without_profile = User.objects.filter(
        is_active=True, role__code="sales_rep", rep_profile__isnull=True
    )
    return render(
        request,
        "leads/assignment_board.html",
        {
            "reps": reps,
            "window": window,
            "waiting_count": waiting.count(),
            "waiting": waiting[:20],
            "requests": ReassignRequest.objects.filter(state=ReassignRequest.State.PENDING)
            .select_related("lead", "rep")
            .order_by("at"),
            "without_profile": without_profile,
            "teams": Team.objects.select_related("assignment_profile").order_by("name"),
        },
    )


class RepProfileForm(forms.ModelForm):
    class Meta:
        model = RepProfile
        fields = ["regions", "industries", "priorities", "capacity", "available"]


def _profile_page(request, form: forms.ModelForm, save, heading) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save(profile=form.save(commit=False), by=request.user)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("assignment_board")
    return render(request, "leads/rep_profile.html", {"rep": heading, "form": form})


@permission_required(LEADS_ASSIGN)
def rep_profile_page(request, user_id: int):
    """What a rep takes: regions, industries, priorities, capacity, availability."""
    rep = get_object_or_404(User, pk=user_id, is_active=True)
    profile = RepProfile.objects.filter(user=rep).first() or RepProfile(user=rep)
    form = RepProfileForm(request.POST or None, instance=profile)
    return _profile_page(request, form, rep_profile_save, rep)


class TeamProfileForm(forms.ModelForm):
    class Meta:
        model = TeamProfile
        fields = ["regions", "industries", "priorities"]


@permission_required(LEADS_ASSIGN)
def team_profile_page(request, team_id: int):
    """What a team takes; its reps follow it where their own profile is empty."""
    team = get_object_or_404(Team, pk=team_id)
    profile = TeamProfile.objects.filter(team=team).first() or TeamProfile(team=team)
    form = TeamProfileForm(request.POST or None, instance=profile)
    return _profile_page(request, form, team_profile_save, team)


# ---------------------------------------------------------------- follow-up


class FollowUpForm(forms.Form):
    contact_at = forms.DateTimeField(
        label=_("Contact time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    method = forms.ChoiceField(label=_("Method"), choices=FollowUp.Method.choices)
    feedback = forms.CharField(
        label=_("What the customer said"), widget=forms.Textarea(attrs={"rows": 2})
    )
    intent = forms.ChoiceField(
        label=_("Intent"), choices=FollowUp.Intent.choices, initial=FollowUp.Intent.SAME
    )
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    next_at = forms.DateTimeField(
        label=_("Next follow-up"),
        required=False,
        help_text=_("Empty: the cadence of the lead's priority."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


@require_POST
@login_required
def lead_followup_view(request, lead_id: int):
    """The quick-entry form on the lead page (LEAD-FUP-2)."""
    return _lead_form_action(
        request,
        lead_id,
        FollowUpForm,
        followup_record,
        lambda lead: (
            gettext("Follow-up saved. Next by %(due)s.")
            % {"due": timezone.localtime(lead.next_due_at).strftime("%Y-%m-%d %H:%M")}
        ),
    )


@login_required
def followups_page(request):
    """My follow-ups: overdue, due today, this week; a manager sees their team's, through
    the same data scope (LEAD-FUP-3)."""
    when = request.GET.get("when", "overdue")
    if when not in DUE_WINDOWS:
        when = "overdue"
    leads = due_leads(request.user, when)
    if request.GET.get("mine"):
        leads = leads.filter(owner=request.user)
    return render(
        request,
        "leads/followups.html",
        {"leads": leads[:200], "count": leads.count(), "when": when, "now": timezone.now()},
    )


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    fact = forms.CharField(label=_("What happened"), max_length=500)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        help_text=_("无效: gave_up, need_mismatch or unreachable; 流失: why."),
    )
    deal_amount = forms.DecimalField(label=_("Deal amount"), required=False, min_value=0)
    deal_date = forms.DateField(
        label=_("Deal date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        required=False,
        max_length=30,
        help_text=_("成交: finds the customer if it exists, or is recorded on the new one."),
    )


@require_POST
@login_required
def lead_stage_view(request, lead_id: int):
    """Move the stage from the lead page (LEAD-STS); the rules say what is refused."""
    return _lead_form_action(
        request,
        lead_id,
        StageForm,
        lead_stage_set,
        lambda lead: gettext("Stage: %(stage)s.") % {"stage": lead.get_stage_display()},
    )


NEEDS_FORM = (Stage.WON, Stage.INVALID, Stage.LOST)  # more than a fact: the lead's form


@login_required
def stage_board(request):
    """The kanban of accepted leads by stage (LEAD-STS-1), mine or, for a manager, the
    team's through the data scope; dragging a card calls the stage endpoint."""
    leads = leads_visible_to(request.user).filter(status=LeadStatus.ACCEPTED)
    if request.GET.get("mine", "1" if not request.user.has_permission(LEADS_ASSIGN) else ""):
        leads = leads.filter(owner=request.user)
    columns = []
    for value, label in Stage.choices:
        in_stage = leads.filter(stage=value).select_related("owner").order_by("-stage_changed_at")
        columns.append(
            {
                "stage": value,
                "label": label,
                "count": in_stage.count(),
                "leads": in_stage[:50],
                "needs_form": value in NEEDS_FORM,
            }
        )
    return render(request, "leads/stage_board.html", {"columns": columns})


@permission_required(LEADS_ASSIGN)
def supervision_page(request):
    """跟进监督 (LEAD-FUP-3): per rep, missed first contacts and follow-ups, escalations,
    follow-ups written and late entries, over the leads the viewer may see."""
    try:
        days = max(1, min(366, int(request.GET.get("days", "30"))))
    except ValueError:
        days = 30
    since = timezone.now() - timedelta(days=days)
    rows = supervision(leads_visible_to(request.user), since)
    if fmt := request.GET.get("export"):
        return export_response(
            user=request.user,
            name="supervision",
            fmt=fmt,
            headers=[
                gettext("Rep"),
                gettext("Missed first contacts"),
                gettext("Missed follow-ups"),
                gettext("Escalated"),
                gettext("Follow-ups"),
                gettext("Late entries"),
            ],
            rows=[
                [
                    str(r.rep),
                    r.first_contact_lapses,
                    r.followup_lapses,
                    r.escalated,
                    r.followups,
                    r.late_entries,
                ]
                for r in rows
            ],
            filters={"days": days},
        )
    return render(request, "leads/supervision.html", {"rows": rows, "days": days})


# ---------------------------------------------------------------- public pool (公海)

POOL_EXPORT_HEADERS = [
    "number",
    "name",
    "contact",
    "industry",
    "need",
    "region",
    "employees",
    "grade",
    "stage",
    "in the pool since",
]


@login_required
def pool_page(request):
    """The public pool (LEAD-FUP-4): leads nobody works, to claim within one's limits."""
    if not may_see_pool(request.user):
        raise Http404
    leads = pool_leads(
        request.user,
        q=request.GET.get("q", ""),
        region=request.GET.get("region", ""),
        grade=request.GET.get("grade", ""),
    )
    if request.GET.get("export"):
        rows = (
            [
                lead.number,
                lead.name,
                lead.contact_name,
                lead.industry,
                lead.need,
                lead.region,
                lead.employees,
                lead.grade,
                lead.get_stage_display(),
                lead.updated_at,
            ]
            for lead in leads.order_by("-id")[:EXPORT_LIMIT]
        )
        return export_from_request(request, name="pool", headers=POOL_EXPORT_HEADERS, rows=rows)
    page, next_cursor = page_for_request(leads, request)
    return render(
        request,
        "leads/pool.html",
        {
            "leads": page,
            "next_cursor": next_cursor,
            "filters": request.GET,
            "first_page": not request.GET.get("cursor"),
            "limits": claim_limits(request.user),
            "can_claim": request.user.has_permission(LEADS_CLAIM),
        },
    )


@require_POST
@permission_required(LEADS_CLAIM)
def lead_claim_view(request, lead_id: int):
    lead = pool_lead(request.user, lead_id)
    if lead is None:
        raise Http404
    try:
        lead_claim(lead=lead, by=request.user)
    except DomainError as error:
        refused_message(request, error)
        return redirect("lead_pool")
    messages.success(
        request,
        gettext("%(number)s is yours now: first contact by %(due)s.")
        % {
            "number": lead.number,
            "due": timezone.localtime(lead.next_due_at).strftime("%Y-%m-%d %H:%M"),
        },
    )
    return redirect("lead", lead_id=lead.pk)


@login_required
def customer_lead_history(request, customer_id: int):
    """The leads a customer came from, each with its whole timeline (LEAD-CNV-1): loaded
    into the customer page."""
    found = converted_leads(request.user, customer_id)
    if found is None:
        raise Http404
    leads, whole = found
    history = [
        {"lead": lead, "timeline": [shown(entry, whole=whole) for entry in lead_timeline(lead)]}
        for lead in leads
    ]
    return render(request, "leads/customer_history.html", {"history": history})
