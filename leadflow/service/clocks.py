"""The deadlines of a ticket (SVC-2), on the company's working calendar: a complaint's
first contact (working days from its receipt) and solution (working days from the
responsible department's receipt of it), an inquiry's response (working hours), and the
revisit after the customer accepts a solution. Each runs as a TicketClock row.

The minute sweep reminds whoever must act a little before a deadline and, when it passes,
marks the clock missed, writes the miss on the ticket and tells the department head: each
exactly once, because one UPDATE … RETURNING moves a clock from one stage to the next and
a clock another worker moved is not returned. A late action meets the clock but never
erases its miss. While the ticket waits on the customer its clocks are paused; on resume
each deadline moves by the working time the pause took."""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.accounts.org import manager_of, users_with_permission
from leadflow.core.company_settings import define, get_settings
from leadflow.core.sweeps import sweep
from leadflow.core.worktime import WorkCalendar
from leadflow.notify.delivery import Message, briefly, notify

from .models import Ticket, TicketClock, TicketStep
from .permissions import SERVICE_DESK, SERVICE_MANAGE

GROUP = _("Customer service")
define(
    "service.contact_days",
    1,
    "int",
    _("Contact the customer within (working days of receiving a complaint)"),
    GROUP,
    minimum=1,
    maximum=30,
)
define(
    "service.solution_days",
    3,
    "int",
    _("Propose a solution within (working days of the department receiving it)"),
    GROUP,
    minimum=1,
    maximum=60,
)
define(
    "service.revisit_days",
    2,
    "int",
    _("Revisit within (working days of the customer accepting the solution)"),
    GROUP,
    minimum=1,
    maximum=60,
)
define(
    "service.inquiry_response_hours",
    4,
    "int",
    _("Answer an inquiry within (working hours)"),
    GROUP,
    minimum=1,
    maximum=80,
)
define(
    "service.remind_before_hours",
    2,
    "int",
    _("Remind before a service deadline (working hours)"),
    GROUP,
    minimum=0,
    maximum=40,
)
Kind = TicketClock.Kind
_CLOCKS = TicketClock._meta.db_table


def span_of(kind: str, calendar: WorkCalendar) -> timedelta:
    """How much working time a clock of this kind gives."""
    values = get_settings("service.")
    if kind == Kind.RESPONSE:
        return timedelta(hours=values["service.inquiry_response_hours"])
    days = {
        Kind.CONTACT: values["service.contact_days"],
        Kind.SOLUTION: values["service.solution_days"],
        Kind.REVISIT: values["service.revisit_days"],
    }[Kind(kind)]
    return calendar.hours_per_day * days


def clock_start(ticket: Ticket, kind: str, now: datetime) -> TicketClock:
    """Start a deadline from `now` (a new one after a rejection or a reopen: the earlier
    one keeps how it ended)."""
    calendar = WorkCalendar.for_company()
    span = span_of(kind, calendar)
    before = timedelta(hours=get_settings("service.")["service.remind_before_hours"])
    return TicketClock.objects.create(
        ticket=ticket,
        kind=kind,
        started_at=now,
        remind_at=calendar.add(now, max(span - before, span / 2)),
        due_at=calendar.add(now, span),
    )


def clock_meet(ticket: Ticket, kind: str | None, now: datetime) -> None:
    """The action the clock waited for happened (any kind: the ticket closed): it stops,
    a miss stays recorded."""
    running = TicketClock.objects.filter(ticket=ticket, met_at__isnull=True)
    if kind is not None:
        running = running.filter(kind=kind)
    running.update(met_at=now, stage=TicketClock.MET, paused_at=None)


def clocks_pause(ticket: Ticket, now: datetime) -> None:
    TicketClock.objects.filter(
        ticket=ticket, met_at__isnull=True, missed_at__isnull=True, paused_at__isnull=True
    ).update(paused_at=now)


def clocks_resume(ticket: Ticket, now: datetime) -> None:
    """Each paused deadline moves by the working time its pause took."""
    calendar = WorkCalendar.for_company()
    for clock in TicketClock.objects.select_for_update().filter(
        ticket=ticket, paused_at__isnull=False
    ):
        spent = calendar.working_time_between(clock.paused_at or now, now)
        clock.due_at = calendar.add(clock.due_at, spent)
        clock.remind_at = calendar.add(clock.remind_at, spent)
        clock.paused_total += spent
        clock.paused_at = None
        clock.save(update_fields=["due_at", "remind_at", "paused_total", "paused_at"])


# ----------------------------------------------------------------- the minute sweep


def _move(stage_from: tuple[int, ...], stage_to: int, column: str, now: datetime) -> list[tuple]:
    """Move every running clock whose `column` time has passed to `stage_to` in one
    statement; (clock id, ticket id, kind, due) of those this call moved."""
    moment = connection.ops.adapt_datetimefield_value(now)
    missing = stage_to == TicketClock.MISSED
    stages = ", ".join(["%s"] * len(stage_from))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_CLOCKS} SET stage = %s{', missed_at = %s' if missing else ''} "  # noqa: S608 - our table and columns
            f"WHERE stage IN ({stages}) AND paused_at IS NULL AND {column} < %s "
            # A reminder only for a deadline still ahead: one already gone is a miss.
            f"{'' if missing else 'AND due_at >= %s '}"
            "RETURNING id, ticket_id, kind, due_at",
            [stage_to, *([moment] if missing else []), *stage_from, moment]
            + ([] if missing else [moment]),
        )
        return cursor.fetchall()


def _actor(ticket: Ticket, kind: str) -> list[User]:
    """Who must act before this deadline."""
    if kind == Kind.SOLUTION:
        person = ticket.assignee or (ticket.department.manager if ticket.department else None)
        return [person] if person else users_with_permission(SERVICE_MANAGE)
    return [ticket.received_by] if ticket.received_by else users_with_permission(SERVICE_DESK)


def _head(ticket: Ticket, kind: str) -> list[User]:
    """Whom a missed deadline goes to: the responsible department's head for a solution,
    the service desk's head for the rest; those who manage service when there is none."""
    if kind == Kind.SOLUTION:
        head = (ticket.department.manager if ticket.department else None) or manager_of(
            ticket.assignee
        )
    else:
        head = manager_of(ticket.received_by)
    return [head] if head else users_with_permission(SERVICE_MANAGE)


def _tell(rows: list[tuple], *, missed: bool) -> None:
    """One notice per person however many tickets: "3 tickets: SV-…, SV-…"."""
    tickets = Ticket.objects.select_related(
        "received_by__team__leader",
        "received_by__department__manager",
        "assignee__team__leader",
        "assignee__department__manager",
        "department__manager",
    ).in_bulk({ticket_id for _id, ticket_id, _kind, _due in rows})
    by_person: dict[User, list[Ticket]] = defaultdict(list)
    for _id, ticket_id, kind, _due in rows:
        ticket = tickets[ticket_id]
        for person in (_head if missed else _actor)(ticket, kind):
            by_person[person].append(ticket)
    for person, listed in by_person.items():
        numbers = briefly([ticket.number for ticket in listed])
        if missed:
            title = gettext("%(count)d service deadlines missed") % {"count": len(listed)}
        else:
            title = gettext("%(count)d service deadlines coming up") % {"count": len(listed)}
        url = f"/service/tickets/{listed[0].pk}/" if len(listed) == 1 else "/service/tickets/"
        notify(
            person,
            Message(title=title, body=numbers, url=url, level="error" if missed else "warning"),
        )


@sweep("service.deadlines")
def watch_deadlines(now: datetime) -> dict[str, Any]:
    """Remind before each deadline, then record and escalate each miss, once each."""
    with transaction.atomic():
        reminded = _move((TicketClock.RUNNING,), TicketClock.REMINDED, "remind_at", now)
        if reminded:
            _tell(reminded, missed=False)
    with transaction.atomic():
        missed = _move(
            (TicketClock.RUNNING, TicketClock.REMINDED), TicketClock.MISSED, "due_at", now
        )
        if missed:
            labels = dict(Kind.choices)
            TicketStep.objects.bulk_create(
                TicketStep(
                    ticket_id=ticket_id,
                    kind=TicketStep.Kind.MISSED,
                    at=now,
                    text=str(labels.get(kind, kind)),
                    data={"clock": kind, "due": str(due)},
                )
                for _id, ticket_id, kind, due in missed
            )
            _tell(missed, missed=True)
    return {"reminded": len(reminded), "missed": len(missed)}


def deadlines_view(ticket: Ticket, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each clock of a ticket as the page shows it: due, met, missed, paused."""
    now = now or timezone.now()
    rows = []
    for clock in ticket.clocks.all():
        if clock.met_at is not None:
            status = "met_late" if clock.missed_at else "met"
        elif clock.missed_at is not None:
            status = "missed"
        elif clock.paused_at is not None:
            status = "paused"
        else:
            status = "due_soon" if clock.remind_at <= now else "running"
        rows.append({"clock": clock, "status": status})
    return rows
