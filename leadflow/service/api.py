"""Service API (SVC-1…4): tickets, their steps, the reports, and a survey answer by its
link's token. The same service functions as the pages."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status

from leadflow.accounts.models import Department, User
from leadflow.core.errors import ValidationFailed
from leadflow.customers.queries import customers_visible_to

from .models import RootCause, Ticket
from .reports import Span, complaint_breakdown, service_rows
from .surveys import survey_answer
from .tickets import (
    solution_answer,
    solution_propose,
    ticket_assign,
    ticket_close,
    ticket_contact,
    ticket_match,
    ticket_note,
    ticket_receive,
    ticket_reopen,
    ticket_resume,
    ticket_revisit,
    ticket_wait,
    tickets_visible_to,
)

router = Router(tags=["service"])


class TicketIn(Schema):
    kind: Literal["inquiry", "complaint"]
    category: int = Field(description="a ticket category id")
    subject: str
    content: str
    severity: str = "normal"
    source: str = Field("api", description="phone, email, chat, visit, form or api")
    customer: int | None = None
    lead: int | None = None
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


class ClockOut(Schema):
    kind: str
    due_at: datetime
    met_at: datetime | None
    missed_at: datetime | None
    paused_at: datetime | None


class StepOut(Schema):
    kind: str
    at: datetime
    by: str
    text: str

    @staticmethod
    def resolve_by(step) -> str:
        return str(step.by or "")


class TicketOut(Schema):
    id: int
    number: str
    kind: str
    source: str
    severity: str
    state: str
    category: str
    subject: str
    content: str
    customer_id: int | None
    department: str
    assignee: str
    solution: str
    root_cause: str
    received_at: datetime
    closed_at: datetime | None
    reopened: int
    clocks: list[ClockOut]

    @staticmethod
    def resolve_category(ticket: Ticket) -> str:
        return str(ticket.category)

    @staticmethod
    def resolve_department(ticket: Ticket) -> str:
        return str(ticket.department or "")

    @staticmethod
    def resolve_assignee(ticket: Ticket) -> str:
        return str(ticket.assignee or "")

    @staticmethod
    def resolve_root_cause(ticket: Ticket) -> str:
        return str(ticket.root_cause or "")

    @staticmethod
    def resolve_clocks(ticket: Ticket) -> list:
        return list(ticket.clocks.all())


class StepIn(Schema):
    action: Literal[
        "contact",
        "assign",
        "propose",
        "accepted",
        "rejected",
        "wait",
        "resume",
        "revisit",
        "close",
        "reopen",
        "note",
        "match",
    ]
    text: str = Field("", description="what was said; the reason for wait/reopen/reject")
    department: int | None = None
    assignee: int | None = None
    solution: str = ""
    root_cause: int | None = None
    root_cause_text: str = ""
    corrective_action: str = ""
    customer: int | None = None


class ReportRow(Schema):
    key: str
    received: int
    complaints: int
    response_rate: Decimal | None
    solution_rate: Decimal | None
    resolution_rate: Decimal | None
    reopen_rate: Decimal | None
    satisfaction: Decimal | None
    answers: int


class ReportOut(Schema):
    rows: list[ReportRow]
    complaints: int
    per_100_customers: Decimal | None
    categories: list[dict]
    root_causes: list[dict]
    distribution: list[dict]


class SurveyIn(Schema):
    token: str
    score: int
    comment: str = ""


def _ticket(request, ticket_id: int) -> Ticket:
    ticket = tickets_visible_to(request.user).filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404
    return ticket


@router.get("/tickets", response=list[TicketOut], summary="Tickets I may see")
def tickets_list(request, state: str = "", kind: str = ""):
    tickets = tickets_visible_to(request.user).prefetch_related("clocks")
    if state == "open":
        tickets = tickets.filter(state__in=Ticket.OPEN)
    elif state:
        tickets = tickets.filter(state=state)
    if kind:
        tickets = tickets.filter(kind=kind)
    return list(tickets[:500])


@router.post("/tickets", response={201: TicketOut}, summary="Take in an inquiry or complaint")
def tickets_create(request, payload: TicketIn):
    values = payload.dict()
    return Status(201, ticket_receive(values=values, by=request.user, via=payload.source or "api"))


@router.get("/tickets/{ticket_id}", response=TicketOut, summary="One ticket")
def tickets_get(request, ticket_id: int):
    return _ticket(request, ticket_id)


@router.get("/tickets/{ticket_id}/steps", response=list[StepOut], summary="Its steps")
def tickets_steps(request, ticket_id: int):
    return list(_ticket(request, ticket_id).steps.select_related("by"))


@router.post("/tickets/{ticket_id}/steps", response={201: TicketOut}, summary="Take a step")
def tickets_step(request, ticket_id: int, payload: StepIn):
    ticket, user, text = _ticket(request, ticket_id), request.user, payload.text
    action = payload.action
    if action == "contact":
        ticket_contact(ticket=ticket, by=user, text=text)
    elif action == "assign":
        ticket_assign(
            ticket=ticket,
            by=user,
            department=Department.objects.filter(pk=payload.department or 0).first(),
            assignee=User.objects.filter(pk=payload.assignee or 0).first(),
            text=text,
        )
    elif action == "propose":
        solution_propose(ticket=ticket, by=user, solution=payload.solution)
    elif action in ("accepted", "rejected"):
        solution_answer(ticket=ticket, by=user, accepted=action == "accepted", text=text)
    elif action == "wait":
        ticket_wait(ticket=ticket, by=user, reason=text)
    elif action == "resume":
        ticket_resume(ticket=ticket, by=user, text=text)
    elif action == "revisit":
        ticket_revisit(ticket=ticket, by=user, text=text)
    elif action == "close":
        ticket_close(
            ticket=ticket,
            by=user,
            text=text,
            root_cause=RootCause.objects.filter(pk=payload.root_cause or 0).first(),
            root_cause_text=payload.root_cause_text,
            corrective_action=payload.corrective_action,
        )
    elif action == "reopen":
        ticket_reopen(ticket=ticket, by=user, reason=text)
    elif action == "note":
        ticket_note(ticket=ticket, by=user, text=text)
    else:
        customer = customers_visible_to(user).filter(pk=payload.customer or 0).first()
        if customer is None:
            raise ValidationFailed(
                gettext("The ticket was not matched."),
                fields={"customer": gettext("choose a customer you may see")},
            )
        ticket_match(ticket=ticket, customer=customer, by=user)
    return Status(201, _ticket(request, ticket_id))


@router.get("/service/report", response=ReportOut, summary="Service figures for a period")
def service_report(request, start: date | None = None, end: date | None = None, by: str = "agent"):
    today = timezone.localdate()
    span = Span(start or today.replace(day=1), end or today)
    if span.end < span.start:
        raise ValidationFailed(
            gettext("Unknown period."), fields={"end": gettext("before the start")}
        )
    if by not in ("agent", "department"):
        raise ValidationFailed(
            gettext("Unknown grouping."), fields={"by": gettext("agent or department")}
        )
    breakdown = complaint_breakdown(request.user, span)
    return {"rows": service_rows(request.user, span, by), **breakdown}


@router.post(
    "/surveys/answer",
    response={201: dict},
    auth=None,
    summary="Answer a survey by its link's token (no sign-in)",
)
def surveys_answer(request, payload: SurveyIn):
    survey = survey_answer(token=payload.token, score=payload.score, comment=payload.comment)
    return Status(201, {"score": survey.score, "answered_at": survey.answered_at})
