"""Stages (LEAD-STS-1, -2): moving a lead's stage and the stage board."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

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
from ..queries import (
    leads_visible_to,
)
from ..stages import lead_stage_set
from .common import (
    lead_form_action,
)


@require_POST
@login_required
def lead_stage_view(request, lead_id: int):
    """Move the stage from the lead page (LEAD-STS); the rules say what is refused."""
    return lead_form_action(
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
