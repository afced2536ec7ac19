"""The lead list, a lead's page, entering a lead by hand and verifying it."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from leadflow.accounts.models import User
from leadflow.core.company_settings import get_setting, get_settings
from leadflow.core.errors import DomainError
from leadflow.core.personal import personal_data_viewed, shown
from leadflow.core.ui import (
    form_error,
    permission_required,
)

from ..capture import lead_capture, lead_outside_scope, lead_verify
from ..cleaning import Consent
from ..forms import (
    FollowUpForm,
    LeadForm,
    StageForm,
)
from ..models import (
    Lead,
    LeadMerge,
    LeadStatus,
    Priority,
    ScoreRule,
)
from ..permissions import (
    LEADS_ASSIGN,
    LEADS_CREATE,
    LEADS_MERGE,
    LEADS_PRIORITY,
    LEADS_VERIFY,
)
from ..prediction import lead_win_chance
from ..queries import (
    converted_leads,
    lead_for,
    lead_sources,
    lead_timeline,
)
from ..reassignment import pending_request
from ..scoring import (
    lead_breakdown,
)
from .common import (
    back_to_lead,
    lead_action,
)


@login_required
def lead_page(request, lead_id: int):
    lead = lead_for(request.user, lead_id)
    if lead is None:
        raise Http404
    return show_lead(request, lead)


def show_lead(request, lead: Lead, *, stage_form=None, tab: str = "", status: int = 200):
    """The lead page in tabs (概要 / 跟进 / 时间线 / 评分 / 合并); a refused stage change
    comes back with what was typed and the reasons beside the fields, on its tab."""
    personal_data_viewed(user=request.user, obj=lead)
    merges = LeadMerge.objects.filter(survivor=lead).select_related("merged", "by").order_by("-at")
    context = {
        "lead": lead,
        "timeline": lead_timeline(lead),
        "sources": lead_sources(lead),
        "merges": merges,
        "can_verify": request.user.has_permission(LEADS_VERIFY)
        and lead.status == LeadStatus.TO_VERIFY,
        "can_merge": request.user.has_permission(LEADS_MERGE),
        "breakdown": lead_breakdown(lead),
        "chance": lead_win_chance(lead),
        "overdue": lead.next_due_at is not None and lead.next_due_at < timezone.now(),
        "events": ScoreRule.Event.choices,
        "priorities": Priority.choices,
        "can_record": request.user.has_permission(LEADS_CREATE)
        and lead.status != LeadStatus.MERGED,
        "can_prioritise": request.user.has_permission(LEADS_PRIORITY)
        and lead.status != LeadStatus.MERGED,
        **_assignment_context(request, lead),
    }
    if stage_form is not None and context["stage_form"] is not None:
        context["stage_form"] = stage_form
    # The rep working the lead opens on 跟进, where the day's work is; others on 概要.
    context["tab"] = (
        tab or request.GET.get("tab") or ("followups" if context["followup_form"] else "overview")
    )
    return render(request, "leads/detail.html", context, status=status)


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
    pending = pending_request(lead)
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
        "reassign_pending": pending,
        "can_request": mine
        and pending is None
        and lead.status in (LeadStatus.ASSIGNED, LeadStatus.ACCEPTED),
        "can_assign": can_assign,
        "assignable_reps": User.objects.filter(is_active=True, rep_profile__isnull=False)
        if can_assign
        else [],
    }


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
    lead = lead_action(
        request,
        lead_id,
        lambda lead: lead_verify(lead=lead, by=request.user),
        lambda lead: gettext("Verified: the lead can now be assigned."),
    )
    return back_to_lead(request, lead)


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
