"""Journeys API (AUT-1, AUT-2): journeys (list, create, change, start, pause, dry run),
a lead put in by hand, and the enrolments with their step runs."""

from datetime import datetime
from typing import Any

from django.http import Http404
from django.utils.translation import gettext
from ninja import Router, Schema, Status

from leadflow.core.errors import Forbidden
from leadflow.leads.queries import leads_visible_to

from .engine import dry_run, journey_flow
from .journeys import (
    enrollment_retry,
    enrollment_skip,
    journey_enrol_by_hand,
    journey_migrate,
    journey_save,
    journey_state_set,
)
from .models import Enrollment, Journey
from .permissions import JOURNEYS_MANAGE

router = Router(tags=["journeys"])


class JourneyIn(Schema):
    name: str
    description: str = ""
    trigger: dict[str, Any]
    entry: dict[str, Any] = {}
    reentry: str = "never"
    reentry_days: int = 30
    goal: dict[str, Any] = {}
    quiet_hours: bool = True
    daily_cap: int | None = None
    steps: list[dict[str, Any]]


class JourneyOut(Schema):
    id: int
    name: str
    state: str
    trigger: dict
    entry: dict
    reentry: str
    goal: dict
    quiet_hours: bool
    daily_cap: int | None
    paused_reason: str
    version: int
    steps: list[dict]

    @staticmethod
    def resolve_version(journey: Journey) -> int:
        return journey.current.number if journey.current else 0

    @staticmethod
    def resolve_steps(journey: Journey) -> list:
        return journey.current.steps if journey.current else []


class RunOut(Schema):
    step: str
    kind: str
    outcome: str
    at: datetime


class EnrollmentOut(Schema):
    id: int
    lead_id: int
    state: str
    step: str
    due_at: datetime
    error: str
    runs: list[RunOut]

    @staticmethod
    def resolve_runs(enrollment: Enrollment) -> list:
        return list(enrollment.runs.all())


class EnrolIn(Schema):
    leads: list[int]


def _manager(request) -> None:
    if not request.user.has_permission(JOURNEYS_MANAGE):
        raise Forbidden(gettext("Only marketing builds journeys."), code="permission_denied")


def _journey(request, journey_id: int) -> Journey:
    _manager(request)
    journey = Journey.objects.filter(pk=journey_id).first()
    if journey is None:
        raise Http404
    return journey


@router.get("/journeys", response=list[JourneyOut], summary="Journeys")
def journeys_list(request):
    _manager(request)
    return list(Journey.objects.all())


@router.post("/journeys", response={201: JourneyOut}, summary="Create a journey")
def journeys_create(request, payload: JourneyIn):
    values = payload.dict(exclude={"steps"})
    return Status(201, journey_save(values=values, steps=payload.steps, by=request.user))


@router.put("/journeys/{journey_id}", response=JourneyOut, summary="Change it (a new version)")
def journeys_change(request, journey_id: int, payload: JourneyIn):
    journey = _journey(request, journey_id)
    values = payload.dict(exclude={"steps"})
    return journey_save(values=values, steps=payload.steps, by=request.user, journey=journey)


@router.post("/journeys/{journey_id}/activate", response=JourneyOut, summary="Start it")
def journeys_activate(request, journey_id: int):
    return journey_state_set(journey=_journey(request, journey_id), state="active", by=request.user)


@router.post("/journeys/{journey_id}/pause", response=JourneyOut, summary="Pause it")
def journeys_pause(request, journey_id: int):
    return journey_state_set(journey=_journey(request, journey_id), state="paused", by=request.user)


@router.get("/journeys/{journey_id}/dry-run", response=dict, summary="Who would enter today")
def journeys_dry_run(request, journey_id: int):
    return dry_run(_journey(request, journey_id))


@router.post("/journeys/{journey_id}/enrol", response={201: dict}, summary="Put leads in")
def journeys_enrol(request, journey_id: int, payload: EnrolIn):
    journey = _journey(request, journey_id)
    leads = list(leads_visible_to(request.user).filter(pk__in=payload.leads))
    return Status(
        201, {"entered": journey_enrol_by_hand(journey=journey, leads=leads, by=request.user)}
    )


@router.get(
    "/journeys/{journey_id}/enrollments", response=list[EnrollmentOut], summary="Its enrolments"
)
def journeys_enrollments(request, journey_id: int):
    journey = _journey(request, journey_id)
    return list(Enrollment.objects.filter(journey=journey).prefetch_related("runs")[:500])


@router.get("/journeys/{journey_id}/flow", response=list[dict], summary="Its steps with counts")
def journeys_flow(request, journey_id: int):
    return journey_flow(_journey(request, journey_id))


@router.post("/journeys/{journey_id}/migrate", response=dict, summary="Move leads in flight")
def journeys_migrate(request, journey_id: int):
    journey = _journey(request, journey_id)
    return {"moved": journey_migrate(journey=journey, by=request.user)}


def _enrollment(request, journey_id: int, enrollment_id: int) -> Enrollment:
    journey = _journey(request, journey_id)
    enrollment = Enrollment.objects.filter(pk=enrollment_id, journey=journey).first()
    if enrollment is None:
        raise Http404
    return enrollment


@router.post(
    "/journeys/{journey_id}/enrollments/{enrollment_id}/retry",
    response=EnrollmentOut,
    summary="Retry a parked enrolment",
)
def journeys_retry(request, journey_id: int, enrollment_id: int):
    enrollment = _enrollment(request, journey_id, enrollment_id)
    return enrollment_retry(enrollment=enrollment, by=request.user)


@router.post(
    "/journeys/{journey_id}/enrollments/{enrollment_id}/skip",
    response=EnrollmentOut,
    summary="Skip a parked enrolment's failed step",
)
def journeys_skip(request, journey_id: int, enrollment_id: int):
    enrollment = _enrollment(request, journey_id, enrollment_id)
    return enrollment_skip(enrollment=enrollment, by=request.user)
