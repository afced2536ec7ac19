"""Scoring (LEAD-SCR-1…4): score rules, recording what a person did, priority."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from leadflow.core.company_settings import get_settings
from leadflow.core.errors import DomainError
from leadflow.core.exports import export_from_request
from leadflow.core.ui import (
    form_error,
    permission_required,
    refused_message,
)

from ..forms import (
    ScoreRuleForm,
)
from ..models import (
    Lead,
    ScoreRule,
    WinModel,
)
from ..permissions import (
    LEADS_CONFIGURE,
    LEADS_CREATE,
    LEADS_PRIORITY,
)
from ..prediction import (
    current_model,
    feature_words,
    outcome_counts,
    training_refusal,
    win_model_train_later,
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


def _prediction_tables(model, attempt):
    """The page's tables, each as (headers, rows) for its export."""
    review = attempt.rule_review if attempt else []
    return {
        "calibration": (
            [gettext("Decile"), gettext("Predicted"), gettext("Actual"), gettext("Leads")],
            [
                [n, round(row["predicted"], 4), round(row["actual"], 4), row["leads"]]
                for n, row in enumerate(model.calibration if model else [], start=1)
            ],
        ),
        "weights": (
            [gettext("Feature"), gettext("Weight (log-odds)")],
            [[feature_words(name), weight] for name, weight in (model.weights if model else [])],
        ),
        "rules": (
            [
                gettext("Rule"),
                gettext("Points"),
                gettext("Leads that hit it"),
                gettext("Win rate"),
                gettext("Leads that did not"),
                gettext("Win rate"),
            ],
            [
                [r["rule"], r["points"], r["hit"], r["hit_rate"], r["rest"], r["rest_rate"]]
                for r in review
            ],
        ),
    }


@permission_required(LEADS_CONFIGURE)
def prediction_page(request):
    """The predictive score (LEAD-SCR-5): the model in use with its hold-out AUC,
    calibration and weights, the review of each score rule's win rate, the attempts, and
    a button to train now."""
    if request.method == "POST":
        try:
            win_model_train_later(by=request.user)
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Training has started; this page shows the result."))
        return redirect("prediction")
    model = current_model()
    attempts = list(WinModel.objects.defer("estimator").select_related("by")[:10])
    latest = attempts[0] if attempts else None
    tables = _prediction_tables(model, latest)
    table = request.GET.get("table", "")
    if request.GET.get("export") and table in tables:
        headers, rows = tables[table]
        return export_from_request(request, name=f"prediction-{table}", headers=headers, rows=rows)
    return render(
        request,
        "leads/prediction.html",
        {
            "model": model,
            "latest": latest,
            "attempts": [
                (attempt, training_refusal(attempt.won, attempt.not_won, attempt.minimum))
                for attempt in attempts
            ],
            "calibration": model.calibration if model else [],
            "weights": list(zip(tables["weights"][1], model.weights if model else [], strict=True)),
            "review": latest.rule_review if latest else [],
            "won_now": outcome_counts(),
            "window_days": get_settings("prediction.")["prediction.window_days"],
            "minimum": get_settings("prediction.")["prediction.min_per_class"],
        },
    )
