"""Stages (LEAD-STS-1, -2): moving a lead's stage and the stage board."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from leadflow.core.errors import DomainError
from leadflow.core.ui import form_error

from ..forms import (
    StageForm,
)
from ..models import (
    LeadStatus,
    Stage,
)
from ..permissions import (
    LEADS_ASSIGN,
)
from ..queries import lead_for, leads_visible_to
from ..stages import lead_stage_set
from .common import back_to_lead
from .leads import show_lead


@require_POST
@login_required
def lead_stage_view(request, lead_id: int):
    """Move the stage from the lead page (LEAD-STS); what the rules refuse comes back on
    the page with what was typed, each reason beside its field."""
    lead = lead_for(request.user, lead_id)
    if lead is None:
        raise Http404
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            lead_stage_set(lead=lead, by=request.user, **form.cleaned_data)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request, gettext("Stage: %(stage)s.") % {"stage": lead.get_stage_display()}
            )
            return back_to_lead(request, lead)
    return show_lead(request, lead, stage_form=form, tab="followups", status=422)


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
