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

from leadflow.accounts.models import Department, User
from leadflow.accounts.org import manager_of, users_with_permission
from leadflow.core.company_settings import define, get_settings
from leadflow.core.sets import ids_in
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
    statement; (clock id, ticket id, kind) of those this call moved."""
    moment = connection.ops.adapt_datetimefield_value(now)
    missing = stage_to == TicketClock.MISSED
    stages = ", ".join(["%s"] * len(stage_from))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_CLOCKS} SET stage = %s{', missed_at = %s' if missing else ''} "  # noqa: S608 - our table and columns
            f"WHERE stage IN ({stages}) AND paused_at IS NULL AND {column} < %s "
            # A reminder only for a deadline still ahead: one already gone is a miss.
            f"{'' if missing else 'AND due_at >= %s '}"
            "RETURNING id, ticket_id, kind",
            [stage_to, *([moment] if missing else []), *stage_from, moment]
            + ([] if missing else [moment]),
        )
        return cursor.fetchall()


_TICKETS, _DEPARTMENTS = Ticket._meta.db_table, Department._meta.db_table
_STEPS = TicketStep._meta.db_table


def _ticket_rows(ids: list[int]) -> dict[int, tuple]:
    """(id, number, agent, responsible person, responsible department's head) of these
    tickets, by id, in one plain statement (an ORM `pk__in` over ten thousand ids costs
    more to build than to run)."""
    chosen, param = ids_in("t.id", ids)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id, t.number, t.received_by_id, t.assignee_id, d.manager_id "  # noqa: S608 - our tables
            f"FROM {_TICKETS} t LEFT JOIN {_DEPARTMENTS} d ON d.id = t.department_id "
            f"WHERE {chosen}",
            param,
        )
        return {row[0]: row for row in cursor.fetchall()}


def _people(rows: list[tuple], *, missed: bool) -> dict[int, list[str]]:
    """{person id: ticket numbers} of whom to tell: before a deadline, who must act (the
    agent who took it in, or the responsible person for a solution); at a miss, their
    head (the responsible department's manager for a solution). When there is nobody,
    the service desk (reminders) or those who manage service (misses). Read as plain
    values, not objects: a sweep may find thousands."""
    tickets = _ticket_rows(sorted({ticket_id for _id, ticket_id, _kind in rows}))
    involved = {t[2] for t in tickets.values()} | {t[3] for t in tickets.values()}
    users = User.objects.select_related("team__leader", "department__manager").in_bulk(
        involved - {None}
    )
    fallback: dict[str, list[int]] = {}

    def everyone(code: str) -> list[int]:
        if code not in fallback:
            fallback[code] = [user.pk for user in users_with_permission(code)]
        return fallback[code]

    heads: dict[int | None, User | None] = {}

    def head_of(person_id: int | None) -> User | None:
        if person_id not in heads:
            heads[person_id] = manager_of(users.get(person_id)) if person_id else None
        return heads[person_id]

    told: dict[int, list[str]] = defaultdict(list)
    for _id, ticket_id, kind in rows:
        _pk, number, agent, assignee, department_head = tickets[ticket_id]
        if kind == Kind.SOLUTION:
            person = department_head if missed else (assignee or department_head)
            if missed and person is None:
                head = head_of(assignee)
                person = head.pk if head else None
            fallback_code = SERVICE_MANAGE
        else:
            head = head_of(agent) if missed else None
            person = (head.pk if head else None) if missed else agent
            fallback_code = SERVICE_MANAGE if missed else SERVICE_DESK
        for someone in [person] if person else everyone(fallback_code):
            told[someone].append(number)
    return told


def _tell(rows: list[tuple], *, missed: bool) -> None:
    """One notice per person however many tickets: "3 tickets: SV-…, SV-…"."""
    told = _people(rows, missed=missed)
    people = User.objects.in_bulk(list(told))
    for person_id, numbers in told.items():
        if missed:
            title = gettext("%(count)d service deadlines missed") % {"count": len(numbers)}
        else:
            title = gettext("%(count)d service deadlines coming up") % {"count": len(numbers)}
        url = (
            f"/service/tickets/?q={numbers[0]}"
            if len(numbers) == 1
            else "/service/tickets/?when=overdue"
        )
        notify(
            people[person_id],
            Message(
                title=title,
                body=briefly(numbers),
                url=url,
                level="error" if missed else "warning",
            ),
        )


def _missed_steps(clock_ids: list[int], now: datetime) -> None:
    """A "deadline missed" step on each ticket whose clock this sweep marked, written by
    the database from the clocks themselves (the text: the deadline's name)."""
    at = connection.ops.adapt_datetimefield_value(now)
    names = " ".join("WHEN %s THEN %s" for _kind in Kind.values)
    labels = [item for kind, label in Kind.choices for item in (kind, str(label))]
    chosen, param = ids_in("id", clock_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_STEPS} (ticket_id, kind, at, text, data) "  # noqa: S608 - our tables
            f"SELECT ticket_id, %s, %s, CASE kind {names} ELSE kind END, %s "
            f"FROM {_CLOCKS} WHERE {chosen}",
            [TicketStep.Kind.MISSED.value, at, *labels, "{}", *param],
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
            _missed_steps(sorted(clock_id for clock_id, *_rest in missed), now)
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
