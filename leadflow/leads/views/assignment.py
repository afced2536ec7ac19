"""Assignment (LEAD-ASN-1…6): the inbox, accept, decline, reassign, the board and
what each rep and team takes."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from leadflow.accounts.models import Team, User
from leadflow.core.company_settings import get_settings
from leadflow.core.errors import DomainError, ValidationFailed
from leadflow.core.ui import (
    form_error,
    permission_required,
)

from ..assignment import (
    lead_accept,
    lead_assign_manual,
    lead_decline,
    load_candidates,
    rep_profile_save,
    team_profile_save,
)
from ..forms import (
    RepProfileForm,
    TeamProfileForm,
)
from ..models import (
    Lead,
    LeadStatus,
    RepProfile,
    TeamProfile,
)
from ..permissions import (
    LEADS_ASSIGN,
)
from ..reassignment import reassign_request_create, reassign_requests_waiting
from .common import (
    back_to_lead,
    lead_action,
)


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


@require_POST
@login_required
def lead_accept_view(request, lead_id: int):
    lead = lead_action(
        request,
        lead_id,
        lambda lead: lead_accept(lead=lead, by=request.user),
        lambda lead: gettext("Accepted: %(number)s is yours.") % {"number": lead.number},
    )
    return back_to_lead(request, lead)


@require_POST
@login_required
def lead_decline_view(request, lead_id: int):
    lead = lead_action(
        request,
        lead_id,
        lambda lead: lead_decline(
            lead=lead, by=request.user, reason=request.POST.get("reason", "")
        ),
        lambda lead: gettext("Declined: the lead went to another rep."),
    )
    return (
        redirect("lead_inbox") if lead.owner_id != request.user.pk else back_to_lead(request, lead)
    )


@require_POST
@login_required
def lead_reassign_request_view(request, lead_id: int):
    lead = lead_action(
        request,
        lead_id,
        lambda lead: reassign_request_create(
            lead=lead, by=request.user, reason=request.POST.get("reason", "")
        ),
        lambda lead: gettext("Sent to marketing for a decision."),
    )
    return back_to_lead(request, lead)


@require_POST
@permission_required(LEADS_ASSIGN)
def lead_assign_view(request, lead_id: int):
    def assign(lead: Lead) -> None:
        rep = User.objects.filter(pk=request.POST.get("rep") or 0).first()
        if rep is None:
            raise ValidationFailed(gettext("Choose a rep."), fields={"rep": "required"})
        reason = request.POST.get("reason", "")
        lead_assign_manual(lead=lead, rep=rep, reason=reason, by=request.user)

    lead = lead_action(
        request,
        lead_id,
        assign,
        lambda lead: gettext("Assigned to %(rep)s.") % {"rep": lead.owner},
    )
    return back_to_lead(request, lead)


@permission_required(LEADS_ASSIGN)
def assignment_board(request):
    """Who has how many leads, who is over their accept deadline, what waits and why, and
    the reassignment requests waiting for this user (LEAD-ASN-1…6), decided on their
    approval page."""
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
            "requests": reassign_requests_waiting(request.user),
            "without_profile": without_profile,
            "teams": Team.objects.select_related("assignment_profile").order_by("name"),
        },
    )


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


@permission_required(LEADS_ASSIGN)
def team_profile_page(request, team_id: int):
    """What a team takes; its reps follow it where their own profile is empty."""
    team = get_object_or_404(Team, pk=team_id)
    profile = TeamProfile.objects.filter(team=team).first() or TeamProfile(team=team)
    form = TeamProfileForm(request.POST or None, instance=profile)
    return _profile_page(request, form, team_profile_save, team)
