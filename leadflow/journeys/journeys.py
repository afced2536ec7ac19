"""Keeping journeys (AUT-1): a journey's trigger, rules and goal; its steps saved as a new
version (enrolments in flight finish on theirs); started, paused, and a lead put in by
hand. The steps are checked when saved: known kinds, unique ids, branches that lead to a
step, templates that exist, waits that end."""

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.core.audit import audit_record, register_action_labels
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.leads.models import Lead, ScoreRule
from leadflow.leads.qualification import SETTABLE_FIELDS
from leadflow.leads.tags import tag_checked
from leadflow.mailing.models import EmailTemplate
from leadflow.notify.models import Robot

from .engine import DATES, STATUS_EVENTS, enrol_many
from .models import Enrollment, Journey, JourneyVersion
from .permissions import JOURNEYS_MANAGE

register_action_labels({"journey.": _("changed journey")})
KIND_LABELS = (
    ("email", _("send an email")),
    ("wait", _("wait")),
    ("branch", _("branch")),
    ("notify", _("tell the owner")),
    ("task", _("a follow-up task for the owner")),
    ("robot", _("post to a group robot")),
    ("webhook", _("call a webhook")),
    ("priority", _("set priority")),
    ("tag", _("put a tag on the lead")),
    ("field", _("set a qualification field")),
    ("assign", _("assign by the rules")),
    ("nurture", _("to the nurture pool")),
    ("exit", _("exit")),
)
KINDS = tuple(kind for kind, _label in KIND_LABELS)
TRIGGER_LABELS = (
    ("score_up", _("the score rises to")),
    ("score_down", _("the score falls below")),
    ("grade", _("the grade becomes")),
    ("stage", _("the stage becomes")),
    ("status", _("the lead goes to a pool")),
    ("activity", _("the person does something")),
    ("lead_created", _("a lead comes in")),
    ("form", _("a web form is sent")),
    ("tag", _("a tag is put on the lead")),
    ("date", _("a date comes near")),
    ("manual", _("someone puts a lead in")),
)
TRIGGERS = tuple(kind for kind, _label in TRIGGER_LABELS)
DATE_LABELS = (
    ("instalment_due", _("days before a customer's instalment is due")),
    ("followup_due", _("days before the next follow-up is due")),
    ("captured", _("days after the lead was captured")),
)
ENTRY_FIELDS = ("grade", "region", "industry")  # who may enter: the lead's value equals
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _trigger_check(trigger: Mapping[str, Any]) -> str:
    """Why the trigger cannot start anything, or ''."""
    kind = trigger.get("kind")
    if kind not in TRIGGERS:
        return gettext("choose what starts the journey")
    if kind in ("score_up", "score_down") and _amount(trigger.get("threshold"), int) < 0:
        return gettext("a score of 0 or more")
    if kind == "form" and not str(trigger.get("form") or "").strip():
        return gettext("choose the web form")
    if kind == "status" and trigger.get("to") not in STATUS_EVENTS:
        return gettext("the nurture pool or the public pool")
    if kind == "activity" and trigger.get("event") not in ScoreRule.Event.values:
        return gettext("choose what the person did")
    if kind == "date" and (
        trigger.get("date") not in DATES
        or not str(trigger.get("days", "")).isdigit()
        or int(trigger["days"]) > 365
    ):
        return gettext("choose the date and a number of days from 0 to 365")
    if kind == "tag" and not str(trigger.get("tag") or "").strip():
        return gettext("name the tag")
    if kind in ("grade", "stage") and not trigger.get("to"):
        return gettext("choose the grade or stage")
    return ""


def _manager(by) -> None:
    if not by.has_permission(JOURNEYS_MANAGE):
        raise Forbidden(gettext("Only marketing builds journeys."))


def _tag_ok(tag) -> bool:
    try:
        tag_checked(str(tag or ""))
    except ValidationFailed:
        return False
    return True


def _amount(value, kind=float) -> float:
    """A number of hours, days or points as given by the form or the API; -1 when it is
    not one (so every check below refuses it instead of failing)."""
    try:
        number = kind(value or 0)
    except (TypeError, ValueError):
        return -1
    return number if number == number and number < 10**6 else -1  # not NaN, not huge


def _id(value) -> int:
    """A row id as given, or 0 (which no row has)."""
    return int(value) if str(value or "").isdigit() else 0


def _condition_ok(condition) -> bool:
    if not isinstance(condition, Mapping):
        return False
    if "engaged" in condition:
        return (
            condition["engaged"] in ("opened", "clicked", "either")
            and _amount(condition.get("within_hours")) >= 0
            and _amount(condition.get("emails"), int) >= 0
        )
    if "responded" in condition:
        return _amount(condition.get("within_hours")) >= 0
    if "score_at_least" in condition:
        return _amount(condition["score_at_least"], int) >= 0
    return "opened" in condition or condition.get("grade") in ("A", "B", "C")


def steps_check(steps: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """{where: why} for every step that cannot run."""
    errors: dict[str, str] = {}
    if not steps:
        return {"steps": gettext("at least one step")}
    ids = [str(step.get("id", "")) for step in steps]
    for number, step in enumerate(steps, start=1):
        where = f"steps.{number}"
        kind = step.get("kind")
        if not step.get("id") or ids.count(str(step["id"])) > 1:
            errors[where] = gettext("each step needs its own id")
        elif kind not in KINDS:
            errors[where] = gettext("unknown kind of step")
        elif (
            kind == "email"
            and not EmailTemplate.objects.filter(pk=_id(step.get("template")), active=True).exists()
        ):
            errors[where] = gettext("choose an email template")
        elif kind == "wait" and not (
            _amount(step.get("hours")) > 0
            or _amount(step.get("working_days"), int) > 0
            or _CLOCK.match(str(step.get("until") or ""))
        ):
            errors[where] = gettext("a wait of some hours, working days, or until a time HH:MM")
        elif (
            kind == "wait"
            and min(_amount(step.get("hours")), _amount(step.get("working_days"), int)) < 0
        ):
            errors[where] = gettext("a wait of some hours, working days, or until a time HH:MM")
        elif kind == "task" and not _amount(step.get("hours")) > 0:
            errors[where] = gettext("the task is due in some working hours")
        elif (
            kind == "robot"
            and not Robot.objects.filter(pk=_id(step.get("robot")), enabled=True).exists()
        ):
            errors[where] = gettext("choose a group robot")
        elif kind == "branch" and (step.get("yes") not in ids or step.get("no") not in ids):
            errors[where] = gettext("both ways of a branch lead to a step")
        elif kind == "branch" and not _condition_ok(step.get("if")):
            errors[where] = gettext(
                "branch on an email opened or clicked, the person responding, or the score"
            )
        elif kind == "webhook" and not str(step.get("url", "")).startswith(("https://", "http://")):
            errors[where] = gettext("an http(s) address")
        elif kind == "field" and (
            step.get("field") not in SETTABLE_FIELDS or not str(step.get("value") or "").strip()
        ):
            errors[where] = gettext("choose the field and its value")
        elif kind == "tag" and not _tag_ok(step.get("tag")):
            errors[where] = gettext("1 to 30 characters, without commas")
        elif kind == "priority" and step.get("value") not in ("high", "medium", "low"):
            errors[where] = gettext("high, medium or low")
    return errors


def _whole(values: Mapping[str, Any], field: str, errors: dict[str, str], most: int, default=None):
    """A whole number from 1 to `most` from the form or the API; `default` when empty."""
    value = values.get(field)
    if value in (None, ""):
        return default
    if not str(value).isdigit() or not 1 <= int(value) <= most:
        errors[field] = gettext("a whole number from 1 to %(most)d") % {"most": most}
        return default
    return int(value)


@transaction.atomic
def journey_save(
    *,
    values: Mapping[str, Any],
    steps: Sequence[Mapping[str, Any]],
    by,
    journey: Journey | None = None,
) -> Journey:
    """Create or change a journey; its steps become a new version."""
    _manager(by)
    errors = steps_check(steps)
    name = str(values.get("name") or "").strip()
    trigger = dict(values.get("trigger") or {})
    if not name:
        errors["name"] = gettext("required")
    elif Journey.objects.filter(name=name).exclude(pk=journey.pk if journey else 0).exists():
        errors["name"] = gettext("another journey has this name")
    if why := _trigger_check(trigger):
        errors["trigger"] = why
    entry = dict(values.get("entry") or {})
    if set(entry) - set(ENTRY_FIELDS):
        errors["entry"] = gettext("only %(fields)s") % {"fields": ", ".join(ENTRY_FIELDS)}
    goal = dict(values.get("goal") or {})
    if set(goal) - {"stage", "score"} or _amount(goal.get("score"), int) < 0:
        errors["goal"] = gettext("a stage, or a score of 0 or more")
    reentry = str(values.get("reentry") or Journey.Reentry.NEVER)
    if reentry not in Journey.Reentry.values:
        errors["reentry"] = gettext("never, after some days, or always")
    now = timezone.now()
    fields = {
        "name": name[:100],
        "description": str(values.get("description") or "")[:4000],
        "trigger": trigger,
        "entry": entry,
        "reentry": reentry,
        "reentry_days": _whole(values, "reentry_days", errors, 3650, 30),
        "goal": goal,
        "quiet_hours": bool(values.get("quiet_hours", True)),
        "daily_cap": _whole(values, "daily_cap", errors, 1_000_000),
        "updated_at": now,
    }
    if errors:
        raise ValidationFailed(gettext("The journey was not saved."), fields=errors)
    if journey is None:
        journey = Journey.objects.create(owner=by, created_at=now, **fields)
    else:
        for field, value in fields.items():
            setattr(journey, field, value)
        journey.save()
    last = journey.versions.aggregate(last=Max("number"))["last"] or 0
    JourneyVersion.objects.create(
        journey=journey,
        number=last + 1,
        steps=[dict(step) for step in steps],
        created_by=by,
        created_at=now,
    )
    audit_record(actor=by, action="journey.saved", obj=journey, extra={"version": last + 1})
    return journey


@transaction.atomic
def journey_state_set(*, journey: Journey, state: str, by, reason: str = "") -> Journey:
    """Start or pause a journey (a paused one keeps its enrolments where they are)."""
    _manager(by)
    if state not in (Journey.State.ACTIVE, Journey.State.PAUSED):
        raise ValidationFailed(gettext("Unknown state."), fields={"state": state})
    if state == Journey.State.ACTIVE and journey.current is None:
        raise Conflict(gettext("Give the journey its steps first."), fields={"steps": ""})
    Journey.objects.filter(pk=journey.pk).update(
        state=state, paused_reason=reason[:300], updated_at=timezone.now()
    )
    journey.refresh_from_db()
    audit_record(actor=by, action=f"journey.{state}", obj=journey)
    return journey


@transaction.atomic
def journey_enrol_by_hand(*, journey: Journey, leads: list[Lead], by) -> int:
    """Put leads in a journey by hand (its rules still apply); how many entered."""
    _manager(by)
    return len(enrol_many(journey, leads, timezone.now()))


def _parked(enrollment: Enrollment) -> None:
    if enrollment.state != Enrollment.State.PARKED:
        raise Conflict(
            gettext("Only a parked enrolment is retried or skipped."),
            fields={"state": enrollment.get_state_display()},
        )


@transaction.atomic
def enrollment_retry(*, enrollment: Enrollment, by) -> Enrollment:
    """A parked enrolment tries its failed step again at the next sweep."""
    _manager(by)
    _parked(enrollment)
    Enrollment.objects.filter(pk=enrollment.pk).update(
        state=Enrollment.State.ACTIVE, attempts=0, due_at=timezone.now(), finished_at=None
    )
    audit_record(
        actor=by,
        action="journey.retried",
        obj=enrollment.journey,
        extra={"lead": enrollment.lead_id},
    )
    enrollment.refresh_from_db()
    return enrollment


@transaction.atomic
def enrollment_skip(*, enrollment: Enrollment, by) -> Enrollment:
    """A parked enrolment goes on after its failed step, which is not run."""
    _manager(by)
    _parked(enrollment)
    ids = [step["id"] for step in enrollment.version.steps]
    place = ids.index(enrollment.step) if enrollment.step in ids else len(ids) - 1
    following = ids[place + 1] if place + 1 < len(ids) else None
    now = timezone.now()
    Enrollment.objects.filter(pk=enrollment.pk).update(
        **(
            {
                "state": Enrollment.State.ACTIVE,
                "step": following,
                "due_at": now,
                "finished_at": None,
            }
            if following
            else {"state": Enrollment.State.FINISHED, "finished_at": now}
        ),
        attempts=0,
        error="",
    )
    audit_record(
        actor=by,
        action="journey.skipped",
        obj=enrollment.journey,
        extra={"lead": enrollment.lead_id, "step": enrollment.step},
    )
    enrollment.refresh_from_db()
    return enrollment


@transaction.atomic
def journey_migrate(*, journey: Journey, by) -> int:
    """Enrolments in flight on earlier versions move to the current one, each at the step
    of the same id (those whose step the new version dropped stay on theirs); how many."""
    _manager(by)
    version = journey.current
    if version is None:
        return 0
    ids = [step["id"] for step in version.steps]
    moved = (
        Enrollment.objects.filter(journey=journey, state=Enrollment.State.ACTIVE, step__in=ids)
        .exclude(version=version)
        .update(version=version)
    )
    audit_record(
        actor=by,
        action="journey.migrated",
        obj=journey,
        extra={"version": version.number, "moved": moved},
    )
    return moved
