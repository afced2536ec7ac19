"""The journey engine (AUT-2): triggers turn the lead timeline into enrolments, and the
minute sweep runs each due enrolment's next step.

Exactly once: an enrolment is claimed by moving its due time forward in one UPDATE (a
lease another worker does not see as due); each step run is stored under a unique key
(version, step, enrolment, round) in the same transaction as its side effect (an email
queued in the outbox, a notice, a field set), so a retry finds the run and does not act
twice. A step that fails is retried with backoff, then the enrolment is parked with the
error and the journey's owner told."""

import dataclasses
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from leadflow.core.faults import fault_point
from leadflow.core.sweeps import sweep
from leadflow.core.worktime import WorkCalendar, company_zone
from leadflow.leads.assignment import Assigner
from leadflow.leads.events import lead_nurtured
from leadflow.leads.followup import write_deadlines
from leadflow.leads.models import Lead, LeadEvent, LeadStatus, ScoreRule
from leadflow.leads.qualification import lead_field_set
from leadflow.leads.tags import lead_tag_add
from leadflow.mailing.models import EmailEvent, EmailMessage, EmailTemplate, Suppression
from leadflow.mailing.sending import deliver_due, journey_email
from leadflow.notify.delivery import Message, notify, notify_robot
from leadflow.notify.models import Robot
from leadflow.sales.contracts import outstanding
from leadflow.sales.models import Contract

from .models import Enrollment, Journey, JourneyVersion, StepRun, TriggerCursor

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
BATCH = 500
BUDGET_SECONDS = 40  # of each minute's sweep; the rest waits for the next
_ENROLLMENTS = Enrollment._meta.db_table
_JOURNEYS = Journey._meta.db_table


class StepError(Exception):
    """A step could not run now (it is retried)."""


@dataclass
class SweepContext:
    """What one run of the step sweep reads once for all its enrolments: the calendar,
    the versions (a saved version never changes), the suppressed addresses among its
    leads; and how many journey emails it queued (the outbox is woken once)."""

    calendar: WorkCalendar
    versions: dict[int, JourneyVersion] = dataclasses.field(default_factory=dict)
    suppressed: set[str] = dataclasses.field(default_factory=set)
    templates: dict[int, EmailTemplate | None] = dataclasses.field(default_factory=dict)
    emails: int = 0

    def template(self, template_id: int) -> EmailTemplate | None:
        if template_id not in self.templates:
            self.templates[template_id] = EmailTemplate.objects.filter(pk=template_id).first()
        return self.templates[template_id]

    def version(self, version_id: int) -> JourneyVersion:
        if version_id not in self.versions:
            self.versions[version_id] = JourneyVersion.objects.get(pk=version_id)
        return self.versions[version_id]

    def read_suppressed(self, leads: list[Lead]) -> None:
        hashes = [lead.email_hash for lead in leads if lead.email_hash]
        self.suppressed |= set(
            Suppression.objects.filter(address_hash__in=hashes).values_list(
                "address_hash", flat=True
            )
        )


# ----------------------------------------------------------------- entering


def _admits(journey: Journey, lead: Lead) -> bool:
    for field, wanted in journey.entry.items():
        if str(getattr(lead, field, "") or "") != str(wanted):
            return False
    return True


def keeping_out(journey: Journey, now: datetime) -> QuerySet[Enrollment]:
    """The journey's enrolments that keep their lead from entering again now: any at all
    (re-entry never), one still inside or entered within the days (after N days), one
    still inside (always)."""
    earlier = Enrollment.objects.filter(journey=journey)
    if journey.reentry == Journey.Reentry.AFTER:
        return earlier.filter(
            Q(state=Enrollment.State.ACTIVE)
            | Q(entered_at__gte=now - timedelta(days=journey.reentry_days))
        )
    if journey.reentry == Journey.Reentry.ALWAYS:
        return earlier.filter(state=Enrollment.State.ACTIVE)
    return earlier


def enrol_many(journey: Journey, leads: list[Lead], now: datetime) -> list[Enrollment]:
    """The leads enter the journey's current version together, each unless the entry
    filter or the re-entry rule says no (never twice at once, which the database also
    holds against a race); one query for who is already in, one insert for who enters."""
    version = journey.current
    if journey.state != Journey.State.ACTIVE or version is None or not version.steps:
        return []
    candidates = {lead.pk: lead for lead in leads if _admits(journey, lead)}
    if not candidates:
        return []
    inside = set(
        keeping_out(journey, now)
        .filter(lead_id__in=list(candidates))
        .values_list("lead_id", flat=True)
    )
    entering = [lead for pk, lead in candidates.items() if pk not in inside]
    if journey.daily_cap:  # the rest do not enter today (the sweep has read their event)
        today = now.astimezone(company_zone()).replace(hour=0, minute=0, second=0, microsecond=0)
        entered = Enrollment.objects.filter(journey=journey, entered_at__gte=today).count()
        entering = entering[: max(journey.daily_cap - entered, 0)]
    first = version.steps[0]["id"]
    return Enrollment.objects.bulk_create(
        [
            Enrollment(
                journey=journey, version=version, lead=lead, step=first, due_at=now, entered_at=now
            )
            for lead in entering
        ],
        ignore_conflicts=True,
    )


# Timeline events a trigger may name (leads.events.KINDS: the payload each one holds).
EVENT_KINDS = ("scored", "stage", "nurture", "returned_to_pool", "tagged", *ScoreRule.Event.values)
STATUS_EVENTS = {"nurture": "nurture", "pool": "returned_to_pool"}


def _crossed(data: dict, threshold: int, *, up: bool) -> bool:
    before, after = (data.get("score") or [0, 0])[:2]
    return before < threshold <= after if up else after < threshold <= before


def _triggered(trigger: dict, event: LeadEvent | None, lead: Lead) -> bool:
    kind = trigger.get("kind")
    if event is None:  # a new lead row: a new lead, or a capture merged into one
        if kind == "form":
            return bool(trigger.get("form")) and lead.channel_detail == trigger["form"]
        return (
            kind == "lead_created"
            and lead.status != LeadStatus.MERGED
            and (not trigger.get("channel") or lead.channel.code == trigger["channel"])
        )
    data = event.data or {}
    if kind in ("score_up", "score_down") and event.kind == "scored":
        return _crossed(data, int(trigger.get("threshold") or 0), up=kind == "score_up")
    if kind == "grade" and event.kind == "scored":
        before, after = (data.get("grade") or ["", ""])[:2]
        return before != after and after == trigger.get("to")
    if kind == "stage" and event.kind == "stage":
        return data.get("to") == trigger.get("to")
    if kind == "status":
        return event.kind == STATUS_EVENTS.get(trigger.get("to", ""))
    if kind == "activity":
        return event.kind == trigger.get("event")
    if kind == "tag":
        return event.kind == "tagged" and data.get("tag") == trigger.get("tag")
    return False


@sweep("journeys.triggers")
def read_triggers(now: datetime) -> dict[str, int]:
    """New leads and new timeline events since the last run, matched against every
    active journey's trigger (the timeline is written with the change: an outbox), a
    batch per transaction until caught up or the minute's budget is spent."""
    entered, deadline = _date_triggers(now), time.monotonic() + BUDGET_SECONDS
    while time.monotonic() < deadline:
        found, more = _trigger_batch(now)
        entered += found
        if not more:
            break
    return {"entered": entered} if entered else {}


DATES = ("instalment_due", "followup_due", "captured")  # what a date trigger counts from


def _leads_on_date(source: str, day: date) -> QuerySet[Lead]:
    """The live leads whose date `source` falls on `day` (the company's calendar day)."""
    leads = Lead.objects.exclude(status=LeadStatus.MERGED).select_related("channel")
    if source == "instalment_due":  # a customer's unpaid instalment, due that working day
        calendar = WorkCalendar.for_company()
        rows = outstanding(Contract.objects.all(), timezone.localdate(), calendar)
        customers = {row.instalment.contract.customer_id for row in rows if row.due == day}
        return leads.filter(customer_id__in=customers)
    zone = company_zone()
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    window = {"gte": start, "lt": start + timedelta(days=1)}
    column = "next_due_at" if source == "followup_due" else "acquired_at"
    return leads.filter(**{f"{column}__{op}": moment for op, moment in window.items()})


def _date_triggers(now: datetime) -> int:
    """Once a company day per journey started by a date: the leads whose date is that
    many days away today (before a due date, or after the capture) enter it."""
    today = now.astimezone(company_zone()).date()
    entered = 0
    for journey in Journey.objects.filter(state=Journey.State.ACTIVE, trigger__kind="date"):
        with transaction.atomic():
            cursor, _ = TriggerCursor.objects.select_for_update().get_or_create(
                name=f"date.{journey.pk}"
            )
            if cursor.last_id >= today.toordinal():
                continue
            days = int(journey.trigger.get("days") or 0)
            source = journey.trigger.get("date", "")
            day = (
                today - timedelta(days=days)
                if source == "captured"
                else today + timedelta(days=days)
            )
            entered += len(enrol_many(journey, list(_leads_on_date(source, day)), now))
            cursor.last_id = today.toordinal()
            cursor.save()
    return entered


def _trigger_batch(now: datetime) -> tuple[int, bool]:
    journeys = list(Journey.objects.filter(state=Journey.State.ACTIVE).exclude(trigger={}))
    with transaction.atomic():
        cursor, _ = TriggerCursor.objects.select_for_update().get_or_create(name="events")
        fresh, _ = TriggerCursor.objects.select_for_update().get_or_create(name="leads")
        if not journeys:  # nothing listens: move the cursors to the end
            cursor.last_id = (
                LeadEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            )
            fresh.last_id = Lead.objects.order_by("-id").values_list("id", flat=True).first() or 0
            cursor.save()
            fresh.save()
            return 0, False
        events = list(
            LeadEvent.objects.filter(id__gt=cursor.last_id, kind__in=EVENT_KINDS)
            .select_related("lead__channel")
            .order_by("id")[:BATCH]
        )
        leads = list(
            Lead.objects.filter(id__gt=fresh.last_id)
            .select_related("channel", "merged_into")
            .order_by("id")[:BATCH]
        )
        entered = 0
        for journey in journeys:
            chosen = {
                event.lead_id: event.lead
                for event in events
                if _triggered(journey.trigger, event, event.lead)
            }
            for lead in leads:  # a capture merged into a lead brings that lead in
                if _triggered(journey.trigger, None, lead):
                    target = lead.merged_into or lead
                    chosen[target.pk] = target
            entered += len(enrol_many(journey, list(chosen.values()), now))
        if events:
            cursor.last_id = events[-1].id
            cursor.save()
        if leads:
            fresh.last_id = leads[-1].id
            fresh.save()
    return entered, len(events) == BATCH or len(leads) == BATCH


# ----------------------------------------------------------------- running


def _claim(now: datetime) -> list[int]:
    """Due enrolments of running journeys (a paused one keeps its leads where they are),
    taken by this worker: their due time moves a lease ahead in one statement, so another
    worker's claim does not return them."""
    lease = connection.ops.adapt_datetimefield_value(now + LEASE)
    moment = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_ENROLLMENTS} SET due_at = %s WHERE id IN ("  # noqa: S608 - our table
            f"SELECT id FROM {_ENROLLMENTS} WHERE state = 'active' AND due_at <= %s "
            f"AND journey_id IN (SELECT id FROM {_JOURNEYS} WHERE state = 'active') "
            f"ORDER BY due_at LIMIT {BATCH}) AND state = 'active' AND due_at <= %s "
            "RETURNING id",
            [lease, moment, moment],
        )
        return [row[0] for row in cursor.fetchall()]


def _step_of(version: JourneyVersion, step_id: str) -> tuple[int, dict[str, Any]]:
    for index, step in enumerate(version.steps):
        if step["id"] == step_id:
            return index, step
    raise StepError(f"no step {step_id!r} in version {version.number}")


def _after(version: JourneyVersion, index: int) -> str | None:
    return version.steps[index + 1]["id"] if index + 1 < len(version.steps) else None


def _must_exit(lead: Lead, suppressed: set[str]) -> bool:
    """Merged away, closed as lost or invalid, or unsubscribed: out of every journey."""
    if lead.status in ("merged", "invalid") or lead.stage in ("lost", "invalid"):
        return True
    return bool(lead.email_hash) and lead.email_hash in suppressed


def _goal_reached(journey: Journey, lead: Lead) -> bool:
    goal = journey.goal or {}
    if goal.get("stage") and lead.stage == goal["stage"]:
        return True
    return bool(goal.get("score")) and lead.score >= int(goal["score"])


def _finish(enrollment: Enrollment, state: str, now: datetime, error: str = "") -> None:
    Enrollment.objects.filter(pk=enrollment.pk).update(
        state=state, finished_at=now, error=error[:300]
    )


def _engaged(enrollment: Enrollment, condition: dict[str, Any]) -> bool:
    """Did the person open (or click) at least `emails` (1) of this enrolment's emails,
    by a person not a scanner, each within the window after it was made (any time
    without one)? The guide's 培育旅程 asks for two opened."""
    kinds = {
        "opened": [EmailEvent.Kind.OPENED],
        "clicked": [EmailEvent.Kind.CLICKED],
        "either": [EmailEvent.Kind.OPENED, EmailEvent.Kind.CLICKED],
    }[condition.get("engaged", "opened")]
    sources = [
        f"j{enrollment.pk}.{key}"  # as the email step named its message (journey_email)
        for key in StepRun.objects.filter(enrollment=enrollment, kind="email").values_list(
            "key", flat=True
        )
    ]
    messages = EmailMessage.objects.filter(source__in=sources).exclude(source="")
    events = EmailEvent.objects.filter(message__in=messages, kind__in=kinds, machine=False)
    if condition.get("within_hours"):
        window = timedelta(hours=float(condition["within_hours"]))
        events = events.filter(at__lte=F("message__created_at") + window)
    wanted = int(condition.get("emails") or 1)
    if wanted == 1:
        return events.exists()
    return events.order_by().values("message").distinct().count() >= wanted


# What counts as the person answering (there is no inbound mailbox to see email replies):
# a follow-up the rep recorded, or the person asking something.
RESPONSES = ("followed_up", "consulted_sales", "webinar_question")


def _responded(enrollment: Enrollment, condition: dict[str, Any]) -> bool:
    """Did the person respond since entering the journey (within the window, if any)?"""
    events = LeadEvent.objects.filter(
        lead_id=enrollment.lead_id, kind__in=RESPONSES, at__gt=enrollment.entered_at
    )
    if condition.get("within_hours"):
        window = timedelta(hours=float(condition["within_hours"]))
        events = events.filter(at__lte=enrollment.entered_at + window)
    return events.exists()


def _branch(enrollment: Enrollment, condition: dict[str, Any], lead: Lead) -> bool:
    if condition.get("responded"):
        return _responded(enrollment, condition)
    if "opened" in condition:  # as the first versions stored it
        return _engaged(enrollment, {"engaged": "opened"}) == bool(condition["opened"])
    if "engaged" in condition:
        return _engaged(enrollment, condition)
    if "score_at_least" in condition:
        return lead.score >= int(condition["score_at_least"])
    if "grade" in condition:
        return lead.grade == condition["grade"]
    return False


SENDS = ("email", "robot")  # what quiet hours hold back


def _until(calendar: WorkCalendar, now: datetime, clock: str) -> datetime:
    """The next moment at this time of day that falls on a working day."""
    hour, minute = (int(part) for part in clock.split(":"))
    moment = now.astimezone(calendar.tz).replace(hour=hour, minute=minute, second=0, microsecond=0)
    if moment <= now:
        moment += timedelta(days=1)
    while not calendar.is_working_day(moment.date()):
        moment += timedelta(days=1)
    return moment


def _act(
    enrollment: Enrollment,
    step: dict[str, Any],
    lead: Lead,
    key: str,
    now: datetime,
    context: SweepContext,
):
    """The step's side effect; (outcome, detail, the next due time or None for now)."""
    kind, calendar = step["kind"], context.calendar
    done, skipped = StepRun.Outcome.DONE, StepRun.Outcome.SKIPPED
    label = gettext("Journey %(name)s") % {"name": enrollment.journey.name}
    if kind == "email":
        template = context.template(step.get("template") or 0)
        if template is None:
            raise StepError("the email template is gone")
        sent = journey_email(
            template=template,
            lead=lead,
            key=f"j{enrollment.pk}.{key}",
            suppressed=lead.email_hash in context.suppressed,
        )
        context.emails += sent == "queued"
        return (done if sent == "queued" else skipped), {"email": sent}, None
    if kind in ("notify", "task") and lead.owner is None:
        return skipped, {"why": "no owner"}, None
    if kind == "notify":
        notify(lead.owner, _message(enrollment, lead, step))
        return done, {}, None
    if kind == "task":  # a follow-up due for the owner: the deadline sweep reminds them
        due = calendar.add_hours(now, float(step.get("hours") or 4))
        if lead.status == LeadStatus.ACCEPTED and (
            lead.next_due_at is None or due < lead.next_due_at
        ):
            write_deadlines(lead, next_due_at=due)
        notify(lead.owner, _message(enrollment, lead, step))
        return done, {"due": due.isoformat()}, None
    if kind == "robot":
        robot = Robot.objects.filter(pk=step.get("robot") or 0, enabled=True).first()
        if robot is None:
            raise StepError("the robot is gone or switched off")
        notify_robot(robot, _message(enrollment, lead, step))
        return done, {"robot": robot.pk}, None
    if kind == "wait":
        if step.get("until"):
            return done, {}, _until(calendar, now, step["until"])
        if step.get("working_days"):
            return done, {}, calendar.add_days(now, int(step["working_days"]))
        return done, {}, now + timedelta(hours=float(step.get("hours", 0)))
    if kind == "webhook":
        return done, _webhook(enrollment, step, lead, key), None
    if kind == "priority":
        Lead.objects.filter(pk=lead.pk).update(priority=step["value"], priority_reason=label)
        return done, {"priority": step["value"]}, None
    if kind == "assign":  # by the assignment rules, as a new lead would be
        if lead.owner_id or lead.status not in (LeadStatus.TO_ASSIGN, LeadStatus.NURTURE):
            return skipped, {"why": "has an owner"}, None
        rep = Assigner.load().assign(lead, reason=label)
        return done, {"rep": rep.pk if rep else None}, None
    if kind == "field":
        changed = lead_field_set(lead=lead, field=step["field"], value=step["value"], reason=label)
        return (done if changed else skipped), {step["field"]: step["value"]}, None
    if kind == "tag":
        added = lead_tag_add(lead=lead, tag=step["tag"])
        return (done if added else skipped), {"tag": step["tag"]}, None
    if kind == "nurture":
        if lead.owner_id or lead.status != LeadStatus.TO_ASSIGN:
            return skipped, {"why": "not waiting for a rep"}, None
        Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.NURTURE, updated_at=now)
        lead_nurtured(lead, at=now)
        return done, {}, None
    raise StepError(f"unknown step kind {kind!r}")


def _message(enrollment: Enrollment, lead: Lead, step: dict[str, Any]) -> Message:
    return Message(
        title=gettext("%(journey)s: %(name)s")
        % {"journey": enrollment.journey.name, "name": lead.name},
        body=str(step.get("text", "")),
        url=f"/leads/{lead.pk}/",
        level="info",
    )


def _webhook(enrollment: Enrollment, step: dict[str, Any], lead: Lead, key: str) -> dict:
    """POST the lead's non-personal facts, signed with the step's secret (HMAC-SHA256 of
    the body in X-Leadflow-Signature) and the run's key as the idempotency key, so the
    receiver can drop a retry it already has. Anything but 2xx is a failure (retried)."""
    body = json.dumps(
        {
            "journey": enrollment.journey.name,
            "step": step["id"],
            "lead": {
                "id": lead.pk,
                "number": lead.number,
                "grade": lead.grade,
                "score": lead.score,
                "stage": lead.stage,
            },
        },
        ensure_ascii=False,
    ).encode()
    signature = hmac.new(str(step.get("secret", "")).encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(  # noqa: S310 - an http(s) URL checked when saved
        str(step.get("url", "")),
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Leadflow-Signature": f"sha256={signature}",
            "Idempotency-Key": key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return {"status": answer.status}
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise StepError(f"webhook: {error}") from error


def _run_loaded(enrollment: Enrollment, now: datetime, context: SweepContext) -> str:
    """A claimed enrolment's steps until one waits or the journey ends: the goal and the
    exit rules checked first, then each step in its own transaction with its run."""
    if enrollment.state != Enrollment.State.ACTIVE:
        return enrollment.state
    lead, journey = enrollment.lead, enrollment.journey
    if _goal_reached(journey, lead):
        _finish(enrollment, Enrollment.State.CONVERTED, now)
        return "converted"
    if _must_exit(lead, context.suppressed):
        _finish(enrollment, Enrollment.State.EXITED, now)
        return "exited"
    version = context.version(enrollment.version_id)
    for _round in range(50):  # a journey with no wait ends well within this
        with transaction.atomic():
            outcome = _run_step(enrollment, version, lead, now, context)
        if outcome:
            return outcome
    return "waiting"


def _run_step(
    enrollment: Enrollment,
    version: JourneyVersion,
    lead: Lead,
    now: datetime,
    context: SweepContext,
) -> str:
    """One step of a claimed enrolment; '' to go straight on to the next one, or how the
    enrolment stands (waiting, finished …). The enrolment in memory follows the row."""
    index, step = _step_of(version, enrollment.step)
    key = f"{enrollment.version_id}.{step['id']}.{enrollment.pk}.{enrollment.attempts}"
    if step["kind"] == "exit":
        _finish(enrollment, Enrollment.State.EXITED, now)
        return "exited"
    if step["kind"] == "branch":
        taken = step["yes"] if _branch(enrollment, step.get("if", {}), lead) else step["no"]
        StepRun.objects.create(
            enrollment=enrollment,
            key=key,
            step=step["id"],
            kind="branch",
            outcome=StepRun.Outcome.DONE,
            detail={"to": taken},
            at=now,
        )
        _move(enrollment, taken, now)
        return ""
    if step["kind"] in SENDS and enrollment.journey.quiet_hours:
        opens = context.calendar.add(now, timedelta(0))  # now, or when working hours start
        if opens > now:
            Enrollment.objects.filter(pk=enrollment.pk).update(due_at=opens)
            return "quiet"
    try:
        with transaction.atomic():
            StepRun.objects.create(
                enrollment=enrollment,
                key=key,
                step=step["id"],
                kind=step["kind"],
                outcome=StepRun.Outcome.DONE,
                at=now,
            )
            outcome, detail, due = _act(enrollment, step, lead, key, now, context)
            fault_point("journeys.step_acted")  # done, not yet committed
            if outcome != StepRun.Outcome.DONE or detail:
                StepRun.objects.filter(key=key).update(outcome=outcome, detail=detail)
    except IntegrityError:
        due = None  # this run was done before (a retry): go on without acting
    except StepError as error:
        return _failed(enrollment, str(error), now)
    following = _after(version, index)
    if following is None:
        _finish(enrollment, Enrollment.State.FINISHED, now)
        return "finished"
    _move(enrollment, following, due or now)
    return "waiting" if due is not None and due > now else ""


def _move(enrollment: Enrollment, step: str, due: datetime) -> None:
    Enrollment.objects.filter(pk=enrollment.pk).update(step=step, due_at=due, attempts=0, error="")
    enrollment.step, enrollment.due_at, enrollment.attempts, enrollment.error = step, due, 0, ""


def _failed(enrollment: Enrollment, error: str, now: datetime) -> str:
    attempts = enrollment.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _finish(enrollment, Enrollment.State.PARKED, now, error)
        _pause_if_failing(enrollment.journey, enrollment.step, now)
        notify(
            enrollment.journey.owner,
            Message(
                title=gettext("Journey %(name)s parked a lead") % {"name": enrollment.journey.name},
                body=error[:200],
                url=f"/journeys/{enrollment.journey_id}/",
                level="error",
            ),
        )
        return "parked"
    Enrollment.objects.filter(pk=enrollment.pk).update(
        attempts=attempts, error=error[:300], due_at=now + timedelta(minutes=2**attempts)
    )
    return "retrying"


def _pause_if_failing(journey: Journey, step: str, now: datetime) -> None:
    """When a step's parked enrolments pass a tenth of those that reached it (ten at
    least), the journey pauses itself and says why."""
    parked = Enrollment.objects.filter(journey=journey, state="parked", step=step).count()
    passed = StepRun.objects.filter(enrollment__journey=journey, step=step).count()
    if parked >= 10 and parked > 0.1 * (parked + passed):
        Journey.objects.filter(pk=journey.pk, state=Journey.State.ACTIVE).update(
            state=Journey.State.PAUSED,
            paused_reason=gettext("Paused by itself: step %(step)s failed for %(n)s leads")
            % {"step": step, "n": parked},
            updated_at=now,
        )


@sweep("journeys.steps")
def run_due_steps(now: datetime) -> dict[str, int]:
    """Due enrolments, a claimed batch at a time (read in one query with their leads),
    until none is due or the minute's budget is spent (what is left is claimed by the
    next minute, or another worker); the outbox is woken once for the emails queued."""
    outcomes: dict[str, int] = {}
    deadline = time.monotonic() + BUDGET_SECONDS
    context = SweepContext(WorkCalendar.for_company())
    while time.monotonic() < deadline:
        claimed = _claim(now)
        batch = list(
            Enrollment.objects.filter(pk__in=claimed)
            .select_related("journey", "lead__owner__role", "lead__channel")
            .order_by("id")
        )
        context.read_suppressed([enrollment.lead for enrollment in batch])
        for enrollment in batch:
            outcome = _run_loaded(enrollment, now, context)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if len(claimed) < BATCH:
            break
    if context.emails:
        deliver_due.enqueue()
    return outcomes


def dry_run(journey: Journey) -> dict[str, int]:
    """Without side effects: of the current leads with an email, how many the entry
    filter admits, and how many of those the re-entry rule lets in today."""
    leads = Lead.objects.exclude(status__in=("merged", "invalid")).exclude(email_hash="")
    for field, wanted in (journey.entry or {}).items():
        leads = leads.filter(**{field: wanted})
    admitted = leads.count()
    inside = keeping_out(journey, timezone.now())
    blocked = leads.filter(pk__in=inside.values("lead_id")).count()
    return {"admitted": admitted, "would_enter": admitted - blocked}


def enrolments_of(lead: Lead) -> list[Enrollment]:
    return list(
        Enrollment.objects.filter(lead=lead).select_related("journey").prefetch_related("runs")
    )


def journey_counts(journey: Journey) -> dict[str, Any]:
    """How many enrolments are at each step, how many passed each (step runs), and how
    many ended each way."""
    enrollments = Enrollment.objects.filter(journey=journey)
    return {
        "at_step": dict(
            enrollments.filter(state=Enrollment.State.ACTIVE)
            .values_list("step")
            .annotate(n=Count("id"))
        ),
        "passed": dict(
            StepRun.objects.filter(enrollment__journey=journey)
            .values_list("step")
            .annotate(n=Count("id"))
        ),
        "parked_at": dict(
            enrollments.filter(state=Enrollment.State.PARKED)
            .values_list("step")
            .annotate(n=Count("id"))
        ),
        "states": dict(enrollments.values_list("state").annotate(n=Count("id"))),
    }


def journey_flow(journey: Journey, counts: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The current version's steps in order, each with where it leads and how many
    enrolments are at it, passed it, or were parked at it: the journey drawn as a list."""
    version = journey.current
    if version is None:
        return []
    counts = counts or journey_counts(journey)
    steps = version.steps
    return [
        {
            "step": step,
            "next": [step["yes"], step["no"]]
            if step["kind"] == "branch"
            else (
                [steps[index + 1]["id"]]
                if index + 1 < len(steps) and step["kind"] != "exit"
                else []
            ),
            "at": counts["at_step"].get(step["id"], 0),
            "passed": counts["passed"].get(step["id"], 0),
            "parked": counts["parked_at"].get(step["id"], 0),
        }
        for index, step in enumerate(steps)
    ]
