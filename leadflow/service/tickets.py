"""Tickets (SVC-1): an inquiry or a complaint taken in from the phone, email, chat, a
visit, the public service form or the API, linked to a customer (or a lead, or an unknown
person's contact, matched later), and taken step by step to closed:

    received → contacted → assigned → solution proposed → accepted → revisited → closed

with waiting on the customer (the clocks pause), a rejected solution going back to the
department, and reopen. Each step keeps who, when and what was said. A complaint closes
only with its root cause and corrective action. Every path (pages, API, public form,
demo) goes through these functions."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import Department, User
from leadflow.accounts.org import users_with_permission
from leadflow.accounts.scope import scope_filter
from leadflow.core import uploads
from leadflow.core.audit import audit_record, register_action_labels, register_object_labels
from leadflow.core.cleaning import CleaningError, normalize_email, normalize_phone
from leadflow.core.company_settings import define, get_setting, get_settings
from leadflow.core.crypto import lookup_hash
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.sequences import next_number
from leadflow.core.storable import unstorable_fields
from leadflow.customers.events import customer_event_record
from leadflow.customers.models import Contact, Customer
from leadflow.customers.queries import customers_visible_to
from leadflow.customers.risk import risk_update
from leadflow.leads.models import Lead
from leadflow.notify.delivery import Message, notify

from .clocks import GROUP, clock_meet, clock_start, clocks_pause, clocks_resume
from .models import (
    Improvement,
    RootCause,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketClock,
    TicketNumberSequence,
    TicketStep,
)
from .permissions import SERVICE_DESK, SERVICE_MANAGE

define(
    "service.ticket_number_pattern",
    "SV-{YYYY}{MM}{DD}-{NNN}",
    "str",
    _("Ticket number pattern ({YYYY} {MM} {DD} the day, {NNN} the day's sequence)"),
    GROUP,
)
define(
    "service.attachment_max_mb",
    10,
    "int",
    _("Largest ticket attachment (MB)"),
    GROUP,
    minimum=1,
)
register_object_labels(
    {
        "service.ticket": _("Service ticket"),
    }
)
register_action_labels(
    {
        "ticket.": _("worked on ticket"),
        "ticket.received": _("took in ticket"),
        "ticket.view": _("viewed the personal data of ticket"),
        "ticket.closed": _("closed ticket"),
        "ticket.reopened": _("reopened ticket"),
        "improvement.": _("changed improvement item"),
        "service.": _("changed the service lists"),
    }
)
State, Kind, Step = Ticket.State, Ticket.Kind, TicketStep.Kind
ATTACHMENTS = "tickets"


# ----------------------------------------------------------------- who sees and acts


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """Everything for a role that sees all; otherwise, within the user's data scope, the
    tickets they took in or are responsible for (or whose responsible person is theirs to
    manage), those of their department and below, and those of the customers they see by
    scope (a rep their own, a manager their people's)."""
    tickets = Ticket.objects.select_related(
        "category", "customer", "department", "assignee", "received_by"
    )
    scope = scope_filter(user, owner_field="assignee")
    if not scope:  # an empty Q: every ticket
        return tickets
    mine = scope | scope_filter(user, owner_field="customer__owner") | Q(received_by=user)
    if user.department_id:
        mine |= Q(department__path__startswith=user.department.path)
    return tickets.filter(mine)


def _seen(user, ticket: Ticket) -> None:
    if not tickets_visible_to(user).filter(pk=ticket.pk).exists():
        raise Forbidden(gettext("This ticket is not yours to see."), code="not_in_scope")


def _desk(user, ticket: Ticket) -> None:
    """Steps the service desk takes: whoever took the ticket in, or holds the desk right."""
    _seen(user, ticket)
    if not (user.has_permission(SERVICE_DESK) or ticket.received_by_id == user.pk):
        raise Forbidden(gettext("Only customer service takes this step."))


def _responsible(user, ticket: Ticket) -> None:
    """The solution: the responsible person, their department's head, or the desk."""
    _seen(user, ticket)
    head = ticket.department.manager_id if ticket.department else None
    if user.pk not in (ticket.assignee_id, head) and not user.has_permission(SERVICE_DESK):
        raise Forbidden(gettext("Only the responsible person or department proposes it."))


def _from(ticket: Ticket, allowed: Iterable[str], action: str) -> None:
    if ticket.state not in allowed:
        raise Conflict(
            gettext("Ticket %(number)s is %(state)s: it cannot be %(action)s.")
            % {"number": ticket.number, "state": ticket.get_state_display(), "action": action},
            fields={"state": ticket.state},
        )


def _locked(ticket: Ticket) -> Ticket:
    """The ticket's row, locked for this step: two people acting at once take turns."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _step(ticket: Ticket, kind: str, by, now: datetime, text: str = "", **data: Any) -> TicketStep:
    step = TicketStep.objects.create(
        ticket=ticket, kind=kind, by=by, at=now, text=text.strip()[:4000], data=data
    )
    if by is not None:
        audit_record(actor=by, action=f"ticket.{kind}", obj=ticket, extra={"step": kind})
    return step


def _save(ticket: Ticket, now: datetime, **changes: Any) -> Ticket:
    for name, value in changes.items():
        setattr(ticket, name, value)
    ticket.updated_at = now
    ticket.save(update_fields=[*changes, "updated_at"])
    return ticket


# ----------------------------------------------------------------- taking a ticket in


def _contact(values: Mapping[str, Any], errors: dict[str, str]) -> dict[str, str]:
    contact = {"contact_name": str(values.get("contact_name") or "").strip()[:60]}
    phone = str(values.get("contact_phone") or "").strip()
    email = str(values.get("contact_email") or "").strip()
    contact["contact_phone"] = contact["contact_email"] = ""
    if phone:
        try:
            contact["contact_phone"] = normalize_phone(phone, "contact_phone").e164
        except CleaningError:
            errors["contact_phone"] = gettext("%(value)r is not a mainland phone number") % {
                "value": phone
            }
    if email:
        try:
            contact["contact_email"] = normalize_email(email)
        except CleaningError:
            errors["contact_email"] = gettext("%(value)r is not an email address") % {
                "value": email
            }
    return contact


def _checked(values: Mapping[str, Any], by) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, choices in (
        ("kind", Kind),
        ("source", Ticket.Source),
        ("severity", Ticket.Severity),
    ):
        value = str(values.get(name) or ("normal" if name == "severity" else ""))
        if value not in choices.values:
            errors[name] = gettext("choose one of: %(choices)s") % {
                "choices": "、".join(str(label) for label in choices.labels)
            }
        clean[name] = value
    category = TicketCategory.objects.filter(
        pk=str(values.get("category") or "0").strip() or 0, active=True
    ).first()
    if category is None:
        errors["category"] = gettext("choose a category")
    clean["category"] = category
    clean["subject"] = str(values.get("subject") or "").strip()
    clean["content"] = str(values.get("content") or "").strip()
    if not clean["subject"]:
        errors["subject"] = gettext("required: what it is about, in a line")
    if not clean["content"]:
        errors["content"] = gettext("required: what the customer said")
    clean.update(_contact(values, errors))
    clean["customer"] = clean["lead"] = None
    if values.get("customer"):
        visible = customers_visible_to(by) if by is not None else Customer.objects.none()
        clean["customer"] = visible.filter(pk=str(values["customer"]).strip() or 0).first()
        if clean["customer"] is None:
            errors["customer"] = gettext("choose a customer you may see")
    if values.get("lead"):
        clean["lead"] = Lead.objects.filter(pk=str(values["lead"]).strip() or 0).first()
        if clean["lead"] is None:
            errors["lead"] = gettext("no such lead")
    if not (clean["customer"] or clean["lead"]) and not (
        clean["contact_name"] and (clean["contact_phone"] or clean["contact_email"])
    ):
        errors.setdefault(
            "contact_name", gettext("a customer, a lead, or a name with a phone or an email")
        )
    for name, problem in unstorable_fields(Ticket, clean).items():
        errors.setdefault(name, problem)
    if errors:
        raise ValidationFailed(gettext("The ticket was not saved."), fields=errors)
    return clean


def _matching_customer(phone: str, email: str) -> Customer | None:
    """The one customer a contact of whom has this phone or email; None when none or
    several (a person then matches it by hand)."""
    match = Q(pk__in=[])
    if phone:
        match |= Q(mobile_hash=lookup_hash(phone))
    if email:
        match |= Q(email_hash=lookup_hash(email))
    found = set(Contact.objects.filter(match).values_list("customer_id", flat=True)[:2])
    return Customer.objects.filter(pk=found.pop()).first() if len(found) == 1 else None


@transaction.atomic
def ticket_receive(
    *, values: Mapping[str, Any], by: User | None, via: str, files: Iterable[Any] = ()
) -> Ticket:
    """Take in an inquiry or a complaint; nothing is saved when any field is refused. Its
    first deadline starts now (a complaint's first contact, an inquiry's response)."""
    clean = _checked({**values, "source": values.get("source") or via}, by)
    checked_files = uploads.checked_uploads(
        files, max_mb=get_settings("service.")["service.attachment_max_mb"]
    )
    now = timezone.now()
    if clean["customer"] is None and clean["lead"] is not None:
        clean["customer"] = clean["lead"].customer
    if clean["customer"] is None:
        clean["customer"] = _matching_customer(clean["contact_phone"], clean["contact_email"])
    desk = by is not None and by.has_permission(SERVICE_DESK)
    ticket = Ticket.objects.create(
        number=next_number(
            str(get_setting("service.ticket_number_pattern")),
            timezone.localdate(now),
            TicketNumberSequence._meta.db_table,
        ),
        received_by=by if desk else None,
        received_at=now,
        updated_at=now,
        **clean,
    )
    for upload in checked_files:
        _attach(ticket, upload, by, now)
    _step(ticket, Step.RECEIVED, by, now, ticket.content, source=ticket.source)
    clock_start(
        ticket,
        TicketClock.Kind.CONTACT if ticket.kind == Kind.COMPLAINT else TicketClock.Kind.RESPONSE,
        now,
    )
    if ticket.customer is not None:
        customer_event_record(
            ticket.customer,
            "ticket",
            by,
            {"number": ticket.number, "kind": ticket.kind, "subject": ticket.subject},
            at=now,
        )
        _complaints_watch(ticket.customer, now)
    if not desk:
        notify(
            users_with_permission(SERVICE_DESK),
            Message(
                title=gettext("New %(kind)s %(number)s")
                % {"kind": ticket.get_kind_display(), "number": ticket.number},
                body=ticket.subject,
                url=f"/service/tickets/{ticket.pk}/",
                level="warning" if ticket.kind == Kind.COMPLAINT else "info",
            ),
        )
    return ticket


def _attach(ticket: Ticket, upload: uploads.Upload, by, now: datetime) -> TicketAttachment:
    return TicketAttachment.objects.create(
        ticket=ticket,
        original_name=upload.original_name,
        stored_name=uploads.store(ATTACHMENTS, ticket.pk, upload),
        content_type=upload.content_type,
        size=len(upload.content),
        sha256=upload.sha256,
        by=by,
        at=now,
    )


@transaction.atomic
def ticket_attach(*, ticket: Ticket, files: Iterable[Any], by: User) -> list[TicketAttachment]:
    _seen(by, ticket)
    checked_files = uploads.checked_uploads(
        files, max_mb=get_settings("service.")["service.attachment_max_mb"]
    )
    now = timezone.now()
    return [_attach(ticket, upload, by, now) for upload in checked_files]


def attachment_path(attachment: TicketAttachment):
    return uploads.stored_path(ATTACHMENTS, attachment.ticket_id, attachment.stored_name)


def _complaints_watch(customer: Customer, now: datetime) -> None:
    """The churn warning's complaint reason (CUS-7): on while a complaint is open."""
    open_complaint = Ticket.objects.filter(
        customer=customer, kind=Kind.COMPLAINT, state__in=Ticket.OPEN
    ).exists()
    risk_update(
        customer=customer,
        reasons=["open_complaint"] if open_complaint else [],
        now=now,
        decides=("open_complaint",),
        checked=False,
    )


# ----------------------------------------------------------------- the steps


@transaction.atomic
def ticket_contact(*, ticket: Ticket, by: User, text: str) -> Ticket:
    """Customer service has called the customer back (a complaint) or answered (an
    inquiry): the first deadline is met."""
    ticket = _locked(ticket)
    _desk(by, ticket)
    _from(ticket, (State.RECEIVED,), gettext("marked contacted"))
    if not text.strip():
        raise ValidationFailed(
            gettext("Say what was said."), fields={"text": gettext("required: what was said")}
        )
    now = timezone.now()
    _save(ticket, now, state=State.CONTACTED, contacted_at=now)
    clock_meet(ticket, TicketClock.Kind.CONTACT, now)
    clock_meet(ticket, TicketClock.Kind.RESPONSE, now)
    _step(ticket, Step.CONTACTED, by, now, text)
    return ticket


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    by: User,
    department: Department | None,
    assignee: User | None,
    text: str = "",
) -> Ticket:
    """Hand the ticket to the responsible department and person; for a complaint the
    solution deadline starts (or, handed on, keeps running)."""
    ticket = _locked(ticket)
    _desk(by, ticket)
    _from(ticket, (State.RECEIVED, State.CONTACTED, State.ASSIGNED), gettext("assigned"))
    if department is None and assignee is None:
        raise ValidationFailed(
            gettext("Choose who is responsible."),
            fields={"department": gettext("a department, a person, or both")},
        )
    if assignee is not None and not assignee.is_active:
        raise ValidationFailed(
            gettext("Choose who is responsible."),
            fields={"assignee": gettext("%(name)s has left") % {"name": assignee}},
        )
    department = department or (assignee.department if assignee else None)
    now = timezone.now()
    first = ticket.assigned_at is None
    _save(
        ticket,
        now,
        state=State.ASSIGNED,
        department=department,
        assignee=assignee,
        assigned_at=ticket.assigned_at or now,
    )
    if first and ticket.kind == Kind.COMPLAINT:
        clock_start(ticket, TicketClock.Kind.SOLUTION, now)
    _step(
        ticket,
        Step.ASSIGNED,
        by,
        now,
        text,
        department=str(department or ""),
        assignee=str(assignee or ""),
    )
    person = assignee or (department.manager if department is not None else None)
    if person is not None:
        notify(
            person,
            Message(
                title=gettext("%(kind)s %(number)s is yours to solve")
                % {"kind": ticket.get_kind_display(), "number": ticket.number},
                body=ticket.subject,
                url=f"/service/tickets/{ticket.pk}/",
                level="warning",
            ),
        )
    return ticket


@transaction.atomic
def solution_propose(*, ticket: Ticket, by: User, solution: str) -> Ticket:
    ticket = _locked(ticket)
    _responsible(by, ticket)
    _from(ticket, (State.ASSIGNED,), gettext("given a solution"))
    if not solution.strip():
        raise ValidationFailed(
            gettext("Write the solution."), fields={"solution": gettext("required")}
        )
    now = timezone.now()
    _save(ticket, now, state=State.PROPOSED, solution=solution.strip()[:8000], proposed_at=now)
    clock_meet(ticket, TicketClock.Kind.SOLUTION, now)
    _step(ticket, Step.PROPOSED, by, now, solution)
    return ticket


@transaction.atomic
def solution_answer(*, ticket: Ticket, by: User, accepted: bool, text: str = "") -> Ticket:
    """What the customer said of the solution: accepted (the revisit deadline starts), or
    rejected with why (back to the department, with a new solution deadline)."""
    ticket = _locked(ticket)
    _desk(by, ticket)
    _from(ticket, (State.PROPOSED,), gettext("answered"))
    now = timezone.now()
    if accepted:
        _save(ticket, now, state=State.ACCEPTED, accepted_at=now)
        clock_start(ticket, TicketClock.Kind.REVISIT, now)
        _step(ticket, Step.ACCEPTED, by, now, text)
        return ticket
    if not text.strip():
        raise ValidationFailed(
            gettext("Say why the customer rejected it."),
            fields={"text": gettext("required: why it was rejected")},
        )
    _save(ticket, now, state=State.ASSIGNED)
    if ticket.kind == Kind.COMPLAINT:
        clock_start(ticket, TicketClock.Kind.SOLUTION, now)
    _step(ticket, Step.REJECTED, by, now, text)
    person = ticket.assignee or (ticket.department.manager if ticket.department else None)
    if person is not None:
        notify(
            person,
            Message(
                title=gettext("The customer rejected the solution of %(number)s")
                % {"number": ticket.number},
                body=text.strip()[:200],
                url=f"/service/tickets/{ticket.pk}/",
                level="warning",
            ),
        )
    return ticket


@transaction.atomic
def ticket_wait(*, ticket: Ticket, by: User, reason: str) -> Ticket:
    """The ticket waits on the customer (documents, a visit …): its clocks pause."""
    ticket = _locked(ticket)
    _seen(by, ticket)
    _from(
        ticket,
        (State.RECEIVED, State.CONTACTED, State.ASSIGNED, State.PROPOSED, State.ACCEPTED),
        gettext("set waiting"),
    )
    if not reason.strip():
        raise ValidationFailed(
            gettext("Say what the customer is to do."),
            fields={"reason": gettext("required: what it waits for")},
        )
    now = timezone.now()
    _save(
        ticket,
        now,
        state=State.WAITING,
        resume_state=ticket.state,
        waiting_reason=reason.strip()[:200],
    )
    clocks_pause(ticket, now)
    _step(ticket, Step.WAITING, by, now, reason)
    return ticket


@transaction.atomic
def ticket_resume(*, ticket: Ticket, by: User, text: str = "") -> Ticket:
    ticket = _locked(ticket)
    _seen(by, ticket)
    _from(ticket, (State.WAITING,), gettext("resumed"))
    now = timezone.now()
    _save(ticket, now, state=ticket.resume_state or State.RECEIVED, resume_state="")
    clocks_resume(ticket, now)
    _step(ticket, Step.RESUMED, by, now, text)
    return ticket


@transaction.atomic
def ticket_revisit(*, ticket: Ticket, by: User, text: str) -> Ticket:
    """The revisit (回访): the customer confirms the problem is solved."""
    ticket = _locked(ticket)
    _desk(by, ticket)
    _from(ticket, (State.ACCEPTED,), gettext("revisited"))
    if not text.strip():
        raise ValidationFailed(
            gettext("Say what the customer said."),
            fields={"text": gettext("required: what the customer said")},
        )
    now = timezone.now()
    _save(ticket, now, state=State.REVISITED, revisited_at=now)
    clock_meet(ticket, TicketClock.Kind.REVISIT, now)
    _step(ticket, Step.REVISITED, by, now, text)
    return ticket


CLOSABLE = {
    Kind.COMPLAINT: (State.REVISITED,),
    Kind.INQUIRY: (
        State.CONTACTED,
        State.ASSIGNED,
        State.PROPOSED,
        State.ACCEPTED,
        State.REVISITED,
    ),
}


@transaction.atomic
def ticket_close(
    *,
    ticket: Ticket,
    by: User,
    text: str = "",
    root_cause: RootCause | None = None,
    root_cause_text: str = "",
    corrective_action: str = "",
) -> Ticket:
    """Close it: a complaint after its revisit and only with its root cause (category and
    text) and corrective action; an inquiry once answered. A survey goes to the customer."""
    from .surveys import survey_send

    ticket = _locked(ticket)
    _desk(by, ticket)
    _from(ticket, CLOSABLE[Kind(ticket.kind)], gettext("closed"))
    changes: dict[str, Any] = {}
    if ticket.kind == Kind.COMPLAINT:
        errors = {}
        if root_cause is None or not root_cause.active:
            errors["root_cause"] = gettext("choose the root cause")
        if not root_cause_text.strip():
            errors["root_cause_text"] = gettext("required: what caused it")
        if not corrective_action.strip():
            errors["corrective_action"] = gettext("required: what is done so it does not recur")
        if errors:
            raise ValidationFailed(gettext("The complaint was not closed."), fields=errors)
        changes = {
            "root_cause": root_cause,
            "root_cause_text": root_cause_text.strip()[:4000],
            "corrective_action": corrective_action.strip()[:4000],
        }
    now = timezone.now()
    _save(ticket, now, state=State.CLOSED, closed_at=now, **changes)
    clock_meet(ticket, None, now)
    _step(ticket, Step.CLOSED, by, now, text)
    if ticket.customer is not None:
        _complaints_watch(ticket.customer, now)
        survey_send(customer=ticket.customer, ticket=ticket, now=now)
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, by: User, reason: str) -> Ticket:
    """The problem came back: back to the responsible department (or to the desk) with a
    new deadline; the earlier ones keep how they ended."""
    ticket = _locked(ticket)
    _desk(by, ticket)
    _from(ticket, (State.CLOSED,), gettext("reopened"))
    if not reason.strip():
        raise ValidationFailed(
            gettext("Say why it is reopened."), fields={"reason": gettext("required: why")}
        )
    now = timezone.now()
    handled = ticket.department_id or ticket.assignee_id
    _save(
        ticket,
        now,
        state=State.ASSIGNED if handled else State.RECEIVED,
        closed_at=None,
        reopened=ticket.reopened + 1,
    )
    if ticket.kind == Kind.COMPLAINT:
        clock_start(ticket, TicketClock.Kind.SOLUTION if handled else TicketClock.Kind.CONTACT, now)
    else:
        clock_start(ticket, TicketClock.Kind.RESPONSE, now)
    _step(ticket, Step.REOPENED, by, now, reason)
    if ticket.customer is not None:
        _complaints_watch(ticket.customer, now)
    return ticket


@transaction.atomic
def ticket_note(*, ticket: Ticket, by: User, text: str) -> TicketStep:
    _seen(by, ticket)
    if not text.strip():
        raise ValidationFailed(gettext("Write the note."), fields={"text": gettext("required")})
    return _step(ticket, Step.NOTE, by, timezone.now(), text)


@transaction.atomic
def ticket_match(*, ticket: Ticket, customer: Customer, by: User) -> Ticket:
    """Link a ticket from an unknown person to the customer it turned out to be."""
    ticket = _locked(ticket)
    _desk(by, ticket)
    if not customers_visible_to(by).filter(pk=customer.pk).exists():
        raise ValidationFailed(
            gettext("The ticket was not matched."),
            fields={"customer": gettext("choose a customer you may see")},
        )
    now = timezone.now()
    _save(ticket, now, customer=customer)
    _step(ticket, Step.MATCHED, by, now, customer.name, customer_id=customer.pk)
    customer_event_record(
        customer,
        "ticket",
        by,
        {"number": ticket.number, "kind": ticket.kind, "subject": ticket.subject},
        at=now,
    )
    _complaints_watch(customer, now)
    return ticket


# ----------------------------------------------------------------- improvement items


@transaction.atomic
def improvement_create(
    *,
    title: str,
    root_cause: RootCause | None,
    action: str,
    owner: User | None,
    due_on: Any,
    tickets: Iterable[Ticket],
    by: User,
) -> Improvement:
    """Group complaints of one root cause into an improvement item (改进措施) with an
    owner and a due date; complaints of another root cause are refused."""
    if not by.has_permission(SERVICE_MANAGE):
        raise Forbidden(gettext("Only those who manage service keep improvement items."))
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = gettext("required")
    if root_cause is None:
        errors["root_cause"] = gettext("choose the root cause")
    if not action.strip():
        errors["action"] = gettext("required: what will be done")
    if owner is None or not owner.is_active:
        errors["owner"] = gettext("choose who carries it out")
    try:
        due = due_on if isinstance(due_on, date) else date.fromisoformat(str(due_on))
    except ValueError:
        errors["due_on"] = gettext("%(value)r is not a date (YYYY-MM-DD)") % {"value": due_on}
    grouped = list(tickets)
    wrong = [t.number for t in grouped if root_cause and t.root_cause_id != root_cause.pk]
    if wrong:
        errors["tickets"] = gettext("another root cause: %(numbers)s") % {
            "numbers": "、".join(wrong)
        }
    if errors or root_cause is None or owner is None:
        raise ValidationFailed(gettext("The improvement item was not saved."), fields=errors)
    item = Improvement.objects.create(
        title=title.strip()[:200],
        root_cause=root_cause,
        action=action.strip()[:4000],
        owner=owner,
        due_on=due,
        created_by=by,
        created_at=timezone.now(),
    )
    Ticket.objects.filter(pk__in=[t.pk for t in grouped]).update(improvement=item)
    audit_record(
        actor=by,
        action="improvement.created",
        obj=item,
        extra={"tickets": [t.number for t in grouped]},
    )
    notify(
        owner,
        Message(
            title=gettext("Improvement item for you: %(title)s") % {"title": item.title},
            body=item.action[:200],
            url="/service/improvements/",
            level="info",
        ),
    )
    return item


@transaction.atomic
def improvement_done(*, item: Improvement, by: User, result: str) -> Improvement:
    if by.pk != item.owner_id and not by.has_permission(SERVICE_MANAGE):
        raise Forbidden(gettext("Only its owner or those who manage service finish it."))
    if not result.strip():
        raise ValidationFailed(
            gettext("Say what was done."), fields={"result": gettext("required")}
        )
    taken = Improvement.objects.filter(pk=item.pk, state=Improvement.State.OPEN).update(
        state=Improvement.State.DONE, result=result.strip()[:4000], done_at=timezone.now()
    )
    if taken != 1:
        raise Conflict(gettext("This item is done already."), fields={"state": item.state})
    item.refresh_from_db()
    audit_record(actor=by, action="improvement.done", obj=item)
    return item
