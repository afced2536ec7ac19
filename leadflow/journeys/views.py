"""Journey pages (AUT-1): the list, the editor (trigger, rules, goal, and the steps as an
ordered list with branches), start and pause, a dry run, and each lead's journey steps."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from leadflow.core.errors import DomainError
from leadflow.core.ui import refused_message
from leadflow.leads.models import Channel, Stage
from leadflow.leads.queries import lead_for
from leadflow.mailing.models import EmailTemplate

from .engine import dry_run, journey_counts
from .guide import GUIDE, guide_journey
from .journeys import KINDS, journey_save, journey_state_set
from .models import Enrollment, Journey
from .permissions import JOURNEYS_MANAGE

BLANK_ROWS = 3
STEP_FIELDS = (
    "id",
    "kind",
    "template",
    "hours",
    "working_days",
    "text",
    "value",
    "yes",
    "no",
    "url",
    "secret",
)


def _manager(request) -> None:
    if not request.user.has_permission(JOURNEYS_MANAGE):
        raise Http404


def _steps_posted(post) -> list[dict]:
    """The editor's rows, in order, without the empty ones; a branch's condition from
    its own fields."""
    steps = []
    for number in range(int(post.get("rows") or 0)):
        row = {name: post.get(f"{name}_{number}", "").strip() for name in STEP_FIELDS}
        if not row["id"] and not row["kind"]:
            continue
        step = {"id": row["id"], "kind": row["kind"]}
        if row["kind"] == "email":
            step["template"] = int(row["template"]) if row["template"].isdigit() else None
        elif row["kind"] == "wait":
            step["hours"] = (
                float(row["hours"] or 0) if row["hours"].replace(".", "", 1).isdigit() else 0
            )
            step["working_days"] = int(row["working_days"]) if row["working_days"].isdigit() else 0
        elif row["kind"] == "branch":
            condition = post.get(f"if_{number}", "opened")
            step["if"] = (
                {"opened": True}
                if condition == "opened"
                else {"score_at_least": int(post.get(f"score_{number}") or 0)}
            )
            step["yes"], step["no"] = row["yes"], row["no"]
        elif row["kind"] == "notify":
            step["text"] = row["text"]
        elif row["kind"] == "priority":
            step["value"] = row["value"]
        elif row["kind"] == "webhook":
            step["url"], step["secret"] = row["url"], row["secret"]
        steps.append(step)
    return steps


def _values_posted(post) -> dict:
    trigger = {"kind": post.get("trigger", "")}
    if trigger["kind"] == "score_up":
        trigger["threshold"] = int(post.get("threshold") or 0)
    elif trigger["kind"] == "lead_created" and post.get("channel"):
        trigger["channel"] = post["channel"]
    elif trigger["kind"] in ("grade", "stage"):
        trigger["to"] = post.get("to", "")
    entry = {k: post[f"entry_{k}"] for k in ("grade", "region") if post.get(f"entry_{k}")}
    goal = {}
    if post.get("goal_stage"):
        goal["stage"] = post["goal_stage"]
    if post.get("goal_score"):
        goal["score"] = int(post["goal_score"]) if post["goal_score"].isdigit() else 0
    return {
        "name": post.get("name", ""),
        "description": post.get("description", ""),
        "trigger": trigger,
        "entry": entry,
        "reentry": post.get("reentry", "never"),
        "reentry_days": post.get("reentry_days") or 30,
        "goal": goal,
    }


@login_required
def journeys_page(request):
    _manager(request)
    if request.method == "POST" and request.POST.get("template") in GUIDE:
        try:
            journey = guide_journey(request.POST["template"], by=request.user)
        except DomainError as error:
            refused_message(request, error)
            return redirect("journeys")
        return redirect("journey", journey.pk)
    journeys = [
        {"journey": j, "counts": journey_counts(j)} for j in Journey.objects.select_related("owner")
    ]
    return render(request, "journeys/list.html", {"journeys": journeys, "guide": GUIDE})


@login_required
def journey_page(request, journey_id: int | None = None):
    _manager(request)
    journey = get_object_or_404(Journey, pk=journey_id) if journey_id else None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action in ("active", "paused") and journey is not None:
                journey_state_set(journey=journey, state=action, by=request.user)
            else:
                journey = journey_save(
                    values=_values_posted(request.POST),
                    steps=_steps_posted(request.POST),
                    by=request.user,
                    journey=journey,
                )
        except DomainError as error:
            refused_message(request, error)
            if journey is None:
                return redirect("journey_new")
        else:
            messages.success(request, gettext("Saved."))
        return redirect("journey", journey.pk)
    version = journey.current if journey else None
    steps = list(version.steps) if version else []
    rows = [*steps, *({} for _ in range(BLANK_ROWS))]
    return render(
        request,
        "journeys/edit.html",
        {
            "journey": journey,
            "version": version,
            "rows": list(enumerate(rows)),
            "row_count": len(rows),
            "kinds": KINDS,
            "templates": EmailTemplate.objects.filter(active=True),
            "channels": Channel.objects.filter(active=True),
            "stages": Stage.choices,
            "counts": journey_counts(journey) if journey else {},
            "dry": dry_run(journey) if journey and version else None,
            "parked": Enrollment.objects.filter(journey=journey, state="parked").select_related(
                "lead"
            )[:50]
            if journey
            else [],
        },
    )


@login_required
def lead_journeys(request, lead_id: int):
    """Every journey step that ran, was skipped, or waits for one lead (whoever sees it)."""
    lead = lead_for(request.user, lead_id)
    if lead is None:
        raise Http404
    enrollments = (
        Enrollment.objects.filter(lead=lead).select_related("journey").prefetch_related("runs")
    )
    return render(request, "journeys/lead.html", {"lead": lead, "enrollments": enrollments})
