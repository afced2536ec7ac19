"""Journey pages (AUT-1): the list, the editor (trigger, rules, goal, and the steps as an
ordered list with branches), start and pause, a dry run, and each lead's journey steps."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from leadflow.core.errors import DomainError
from leadflow.core.ui import refused_message
from leadflow.leads.models import Channel, LeadStatus, ScoreRule, Stage, WebForm
from leadflow.leads.qualification import SETTABLE_FIELDS
from leadflow.leads.queries import lead_for, leads_visible_to
from leadflow.mailing.models import EmailTemplate
from leadflow.notify.models import Robot

from .engine import dry_run, enrolments_of, journey_counts, journey_flow
from .guide import GUIDE, guide_journey
from .journeys import (
    DATE_LABELS,
    KIND_LABELS,
    TRIGGER_LABELS,
    enrollment_retry,
    enrollment_skip,
    journey_enrol_by_hand,
    journey_migrate,
    journey_save,
    journey_state_set,
)
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
    "until",
    "robot",
    "tag",
    "field",
    "field_value",
)


def _manager(request) -> None:
    if not request.user.has_permission(JOURNEYS_MANAGE):
        raise Http404


def _number(text: str) -> float:
    return float(text) if text.replace(".", "", 1).isdigit() else 0


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
            step["hours"] = _number(row["hours"])
            step["working_days"] = int(row["working_days"]) if row["working_days"].isdigit() else 0
            if row["until"]:
                step["until"] = row["until"]
        elif row["kind"] == "branch":
            condition = post.get(f"if_{number}", "opened")
            if condition == "score":
                step["if"] = {"score_at_least": int(_number(post.get(f"score_{number}", "")))}
            elif condition == "responded":
                step["if"] = {"responded": True}
                if _number(post.get(f"within_{number}", "")):
                    step["if"]["within_hours"] = _number(post.get(f"within_{number}", ""))
            else:
                step["if"] = {"engaged": condition}
                if _number(post.get(f"emails_{number}", "")) > 1:
                    step["if"]["emails"] = int(_number(post.get(f"emails_{number}", "")))
                if _number(post.get(f"within_{number}", "")):
                    step["if"]["within_hours"] = _number(post.get(f"within_{number}", ""))
            step["yes"], step["no"] = row["yes"], row["no"]
        elif row["kind"] == "notify":
            step["text"] = row["text"]
        elif row["kind"] == "task":
            step["text"] = row["text"]
            step["hours"] = _number(row["hours"])
        elif row["kind"] == "robot":
            step["text"] = row["text"]
            step["robot"] = int(row["robot"]) if row["robot"].isdigit() else None
        elif row["kind"] == "priority":
            step["value"] = row["value"]
        elif row["kind"] == "tag":
            step["tag"] = row["tag"]
        elif row["kind"] == "field":
            step["field"], step["value"] = row["field"], row["field_value"]
        elif row["kind"] == "webhook":
            step["url"], step["secret"] = row["url"], row["secret"]
        steps.append(step)
    return steps


def _values_posted(post) -> dict:
    trigger = {"kind": post.get("trigger", "")}
    if trigger["kind"] in ("score_up", "score_down"):
        trigger["threshold"] = post.get("threshold", "").strip()  # checked when saved
    elif trigger["kind"] == "lead_created" and post.get("channel"):
        trigger["channel"] = post["channel"]
    elif trigger["kind"] in ("grade", "stage", "status"):
        trigger["to"] = post.get("to", "")
    elif trigger["kind"] == "form":
        trigger["form"] = post.get("form", "")
    elif trigger["kind"] == "activity":
        trigger["event"] = post.get("event", "")
    elif trigger["kind"] == "tag":
        trigger["tag"] = post.get("trigger_tag", "").strip()
    elif trigger["kind"] == "date":
        trigger["date"] = post.get("date", "")
        trigger["days"] = post.get("days", "").strip()
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
        "quiet_hours": post.get("quiet_hours") == "on",
        "daily_cap": post.get("daily_cap", "").strip(),
    }


ENROL_AT_MOST = 5000  # leads one click puts in; a bigger list goes by the API in parts


def _filtered_leads(user, post):
    """The leads the user sees that match the form's filter (channel, grade, region,
    tag), at most ENROL_AT_MOST; never merged, lost or invalid ones."""
    leads = leads_visible_to(user).exclude(stage__in=("lost", "invalid"))
    if post.get("enrol_channel"):
        leads = leads.filter(channel__code=post["enrol_channel"])
    if post.get("enrol_grade"):
        leads = leads.filter(grade=post["enrol_grade"])
    if post.get("enrol_region", "").strip():
        leads = leads.filter(region=post["enrol_region"].strip())
    if post.get("enrol_tag", "").strip():
        leads = leads.filter(tags__name=post["enrol_tag"].strip())
    return leads.order_by("id")[:ENROL_AT_MOST]


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
    states: dict[int, dict[str, int]] = {}  # journey → {state: enrolments}, one query
    for journey_id, state, count in (
        Enrollment.objects.values_list("journey", "state").annotate(n=Count("id")).order_by()
    ):
        states.setdefault(journey_id, {})[state] = count
    journeys = [
        {"journey": j, "counts": {"states": states.get(j.pk, {})}}
        for j in Journey.objects.select_related("owner")
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
            elif action == "migrate" and journey is not None:
                moved = journey_migrate(journey=journey, by=request.user)
                messages.success(
                    request,
                    gettext("%(n)d leads in flight moved to the latest version.") % {"n": moved},
                )
                return redirect("journey", journey.pk)
            elif action == "enrol" and journey is not None:
                leads = list(_filtered_leads(request.user, request.POST))
                entered = journey_enrol_by_hand(journey=journey, leads=leads, by=request.user)
                messages.success(
                    request,
                    gettext("%(entered)d of %(found)d leads found entered the journey.")
                    % {"entered": entered, "found": len(leads)},
                )
                return redirect("journey", journey.pk)
            elif action in ("retry", "skip") and journey is not None:
                given = request.POST.get("enrollment", "")
                enrollment = get_object_or_404(
                    Enrollment, pk=int(given) if given.isdigit() else 0, journey=journey
                )
                act = enrollment_retry if action == "retry" else enrollment_skip
                act(enrollment=enrollment, by=request.user)
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
    counts = journey_counts(journey) if journey else {}
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
            "kind_labels": KIND_LABELS,
            "trigger_labels": TRIGGER_LABELS,
            "to_choices": [
                *((grade, gettext("Grade %(grade)s") % {"grade": grade}) for grade in "ABC"),
                *Stage.choices,
                ("nurture", LeadStatus.NURTURE.label),
                ("pool", LeadStatus.POOL.label),
            ],
            "flow": journey_flow(journey, counts) if journey else [],
            "templates": EmailTemplate.objects.filter(active=True),
            "channels": Channel.objects.filter(active=True),
            "forms": WebForm.objects.order_by("name"),
            "activities": ScoreRule.Event.choices,
            "robots": Robot.objects.filter(enabled=True),
            "settable": SETTABLE_FIELDS.items(),
            "dates": DATE_LABELS,
            "behind": Enrollment.objects.filter(journey=journey, state="active")
            .exclude(version=version)
            .count()
            if version
            else 0,
            "stages": Stage.choices,
            "counts": counts,
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
    return render(request, "journeys/lead.html", {"lead": lead, "enrollments": enrolments_of(lead)})
