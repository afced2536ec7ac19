"""Scoring (LEAD-SCR-1…4): score rules, recording what a person did, priority."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from leadflow.core.company_settings import get_settings
from leadflow.core.errors import DomainError
from leadflow.core.ui import (
    form_error,
    permission_required,
)

from ..forms import (
    ScoreRuleForm,
)
from ..models import (
    Lead,
    ScoreRule,
)
from ..permissions import (
    LEADS_CONFIGURE,
    LEADS_CREATE,
    LEADS_PRIORITY,
)
from ..scoring import (
    lead_event_record,
    lead_priority_set,
    score_rule_preview,
    score_rule_save,
)
from .common import (
    back_to_lead,
    lead_action,
)


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


@require_POST
@permission_required(LEADS_CREATE)
def lead_event_view(request, lead_id: int):
    """Record what the person did (LEAD-SCR-4); the lead is re-scored at once."""
    scores: dict[str, int] = {}

    def record(lead: Lead) -> None:
        scores["before"] = lead.score
        lead_event_record(lead=lead, kind=request.POST.get("kind", ""), by=request.user)
        scores["after"] = lead.score

    lead = lead_action(
        request,
        lead_id,
        record,
        lambda lead: gettext("Recorded. Score %(before)s → %(after)s.") % scores,
    )
    return back_to_lead(request, lead)


@require_POST
@permission_required(LEADS_PRIORITY)
def lead_priority_view(request, lead_id: int):
    """Set the priority against the grade with a reason, or let it follow the grade."""
    lead = lead_action(
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
    return back_to_lead(request, lead)
