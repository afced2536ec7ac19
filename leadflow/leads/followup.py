"""Follow-up (LEAD-FUP-1…3): deadlines, records, and a sweep that never forgets one.

A lead a rep has accepted carries its next deadline in a stored column: the first
contact (4 h for high priority, 24 h otherwise, after acceptance), then the cadence after
each follow-up (daily / every 3 days / weekly by priority), in working time when the
company says so. The minute sweep finds what is past due with one indexed, set-based
UPDATE … RETURNING: it reminds the rep, after a grace period tells the manager, and
counts each lapse for supervision (跟进监督). The sweep works on FollowUpDue, the
deadlines' narrow copy: a lapse moves its `overdue_stage` forward only once, so two
workers sweeping together tell nobody twice.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.accounts.org import manager_of
from leadflow.core.company_settings import define, get_settings
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.sweeps import sweep
from leadflow.core.worktime import WorkCalendar
from leadflow.notify.delivery import Message, notify

from .events import followed_up
from .models import CLOSED, FollowUp, FollowUpDue, FollowUpLapse, Lead, LeadStatus, Priority
from .permissions import LEADS_ASSIGN

GROUP = _("Follow-up")
define("followup.first_high_hours", 4, "int", _("First contact, high priority (hours)"), GROUP)
define("followup.first_hours", 24, "int", _("First contact, otherwise (hours)"), GROUP)
define("followup.cadence_high_days", 1, "int", _("Follow up high priority every (days)"), GROUP)
define("followup.cadence_medium_days", 3, "int", _("Follow up medium every (days)"), GROUP)
define("followup.cadence_low_days", 7, "int", _("Follow up low priority every (days)"), GROUP)
define(
    "followup.working_time",
    True,
    "bool",
    _("Count deadlines in working time"),
    GROUP,
    help=_("Working hours, weekends, statutory holidays and make-up days (see Holidays)."),
)
define("followup.late_entry_minutes", 60, "int", _("A record is late after (minutes)"), GROUP)
define(
    "followup.escalate_after_hours",
    24,
    "int",
    _("Tell the manager when still overdue after (hours)"),
    GROUP,
)
POOL = _("Public pool")
define(
    "pool.idle_days", 7, "int", _("Back to the pool after no follow-up for (days)"), POOL, minimum=1
)
define(
    "pool.unwon_days", 90, "int", _("Back to the pool when not won after (days)"), POOL, minimum=1
)
define("pool.warn_days", 2, "int", _("Warn the owner before it goes back (days)"), POOL, minimum=0)
define(
    "pool.open_limit",
    50,
    "int",
    _("Open leads a rep may hold and still claim"),
    POOL,
    minimum=1,
    help=_("A rep's capacity in their assignment profile counts instead where they have one."),
)
define("pool.daily_claims", 5, "int", _("Claims per rep per day"), POOL, minimum=1)
define(
    "pool.reclaim_wait_days",
    7,
    "int",
    _("The previous owner may claim it again after (days)"),
    POOL,
    minimum=0,
)
FUTURE_TOLERANCE = timedelta(minutes=10)


class Deadlines:
    """The follow-up settings and the calendar, read once for a service call or a sweep."""

    def __init__(self) -> None:
        self.values = get_settings("followup.") | get_settings("pool.")
        self.calendar = WorkCalendar.for_company() if self.values["followup.working_time"] else None

    def _after(self, moment: datetime, span: timedelta) -> datetime:
        return self.calendar.add(moment, span) if self.calendar else moment + span

    def first_contact(self, accepted_at: datetime, priority: str) -> datetime:
        hours = (
            self.values["followup.first_high_hours"]
            if priority == Priority.HIGH
            else self.values["followup.first_hours"]
        )
        return self._after(accepted_at, timedelta(hours=hours))

    def next_after(self, contact_at: datetime, priority: str) -> datetime:
        days = self.values[f"followup.cadence_{priority or 'medium'}_days"]
        if self.calendar:
            return self.calendar.add_days(contact_at, days)
        return contact_at + timedelta(days=days)

    def pool_due(self, accepted_at: datetime, last_contact: datetime | None) -> datetime:
        """When an open lead goes back to the public pool (LEAD-FUP-4): N days after its
        last follow-up (or acceptance), at the latest M days after acceptance unless won.
        Calendar days: the pool counts how long the customer waits."""
        idle_from = max(last_contact or accepted_at, accepted_at)
        idle = idle_from + timedelta(days=self.values["pool.idle_days"])
        return min(idle, accepted_at + timedelta(days=self.values["pool.unwon_days"]))


def write_deadlines(lead: Lead, **changes: Any) -> None:
    """Write these columns of the lead; a new `next_due_at` goes to the sweep's copy too,
    which only an accepted lead with an owner has. The one place a deadline is written."""
    for name, value in changes.items():
        setattr(lead, name, value)
    Lead.objects.filter(pk=lead.pk).update(**changes)
    if "next_due_at" not in changes:
        return
    if lead.next_due_at is None or lead.owner_id is None or lead.status != LeadStatus.ACCEPTED:
        FollowUpDue.objects.filter(lead_id=lead.pk).delete()
        return
    FollowUpDue.objects.update_or_create(
        lead_id=lead.pk,
        defaults={
            "owner_id": lead.owner_id,
            "due_at": lead.next_due_at,
            "first_contact": lead.first_contact_at is None,
            "overdue_stage": 0,
        },
    )


def clear_deadlines(lead_ids: list[int]) -> None:
    """These leads left their owner's hands (handed on, back to the pool, merged): no
    deadline any more until someone accepts them."""
    Lead.objects.filter(pk__in=lead_ids).update(next_due_at=None)
    FollowUpDue.objects.filter(lead_id__in=lead_ids).delete()


def start_deadlines(lead: Lead, accepted_at: datetime) -> None:
    """Set the first-contact deadline of a lead its rep has just accepted (or claimed), and
    when it goes back to the pool if nobody works it."""
    deadlines = Deadlines()
    write_deadlines(
        lead,
        next_due_at=deadlines.first_contact(accepted_at, lead.priority),
        pool_due_at=deadlines.pool_due(accepted_at, None),
        pool_warned=False,
    )


@transaction.atomic
def followup_record(
    *,
    lead: Lead,
    by: User,
    contact_at: datetime,
    method: str,
    feedback: str,
    intent: str = FollowUp.Intent.SAME,
    next_step: str = "",
    next_at: datetime | None = None,
) -> FollowUp:
    """Record a contact (LEAD-FUP-2): it sets the lead's next deadline, from `next_at` or
    the cadence of its priority; written more than the allowed time after the contact it
    is flagged late."""
    if lead.owner_id != by.pk and not by.has_permission(LEADS_ASSIGN):
        raise Forbidden(gettext("Only the lead's owner or a manager records its follow-ups."))
    if lead.status != LeadStatus.ACCEPTED:
        raise Conflict(
            gettext("Follow-ups are recorded on accepted leads."),
            fields={"status": lead.status_words()},
        )
    now = timezone.now()
    errors = {}
    if contact_at > now + FUTURE_TOLERANCE:
        errors["contact_at"] = f"{contact_at.isoformat()} is in the future"
    if method not in FollowUp.Method.values:
        errors["method"] = f"{method!r} is not one of {', '.join(FollowUp.Method.values)}"
    if intent not in FollowUp.Intent.values:
        errors["intent"] = f"{intent!r} is not one of {', '.join(FollowUp.Intent.values)}"
    if not feedback.strip():
        errors["feedback"] = "required: what the customer said"
    if next_at is not None and next_at <= contact_at:
        errors["next_at"] = "must be after the contact"
    if errors:
        raise ValidationFailed(gettext("The follow-up was not saved."), fields=errors)
    deadlines = Deadlines()
    late = now - contact_at > timedelta(minutes=deadlines.values["followup.late_entry_minutes"])
    record = FollowUp.objects.create(
        lead=lead,
        by=by,
        contact_at=contact_at,
        method=method,
        feedback=feedback.strip(),
        intent=intent,
        next_step=next_step.strip(),
        next_at=next_at,
        written_at=now,
        late=late,
    )
    closed = lead.stage in CLOSED  # a won, lost, invalid or paused lead has no deadlines
    due = None if closed else next_at or deadlines.next_after(contact_at, lead.priority)
    first = lead.first_contact_at or contact_at
    last = max(lead.last_followup_at or contact_at, contact_at)
    write_deadlines(
        lead,
        first_contact_at=first,
        last_followup_at=last,
        next_due_at=due,
        pool_due_at=None if closed else deadlines.pool_due(lead.accepted_at or now, last),
        pool_warned=False,
        updated_at=now,
    )
    followed_up(
        lead,
        method=method,
        contact_at=contact_at,
        intent=intent,
        next_step=record.next_step,
        next_due_at=due,
        late=late,
        by=by,
        at=now,
    )
    return record


# ------------------------------------------------------------------ the sweep

_DUE = FollowUpDue._meta.db_table


def _claim(stage_from: int, stage_to: int, due_before: datetime, now: datetime) -> int:
    """Move every deadline due before `due_before` from one overdue stage to the next, in
    one statement, marking the rows with this sweep's moment; returns how many. A row
    another worker moved first is not moved again (the stage no longer matches)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_DUE} SET overdue_stage = %s, staged_at = %s "  # noqa: S608 - our table
            "WHERE overdue_stage = %s AND due_at < %s",
            [
                stage_to,
                connection.ops.adapt_datetimefield_value(now),
                stage_from,
                connection.ops.adapt_datetimefield_value(due_before),
            ],
        )
        return cursor.rowcount


@sweep("leads.followup")
def remind_overdue(now: datetime) -> dict[str, Any]:
    """Past-due first contacts and follow-ups: remind the rep, count the lapse; still
    overdue after the grace period: tell the manager (LEAD-FUP-3). Set-based: the lapses
    are written by INSERT … SELECT from the rows the claim moved, and the reminders read
    per rep how many and the first few, so a sweep of 100,000 lapses moves no rows
    through Python."""
    grace = timedelta(hours=get_settings("followup.")["followup.escalate_after_hours"])
    with transaction.atomic():
        reminded = _claim(0, 1, now, now)
        if reminded:
            _record_lapses(now)
            _tell(_moved_per_rep(1, now), to_manager=False)
    with transaction.atomic():
        escalated = _claim(1, 2, now - grace, now)
        if escalated:
            _mark_escalated(now)
            _tell(_moved_per_rep(2, now), to_manager=True)
    return {"reminded": reminded, "escalated": escalated}


_LAPSES = FollowUpLapse._meta.db_table
SHOWN_PER_NOTICE = 10  # lead numbers a reminder lists (briefly's most)


def _record_lapses(now: datetime) -> None:
    """One lapse per lead this sweep moved to stage 1, in one INSERT … SELECT."""
    moment = connection.ops.adapt_datetimefield_value(now)
    first, cadence = FollowUpLapse.Kind.FIRST_CONTACT.value, FollowUpLapse.Kind.FOLLOW_UP.value
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_LAPSES} (lead_id, rep_id, kind, due_at, noticed_at) "  # noqa: S608
            f"SELECT lead_id, owner_id, CASE WHEN first_contact THEN %s ELSE %s END, due_at, %s "
            f"FROM {_DUE} WHERE overdue_stage = 1 AND staged_at = %s",
            [first, cadence, moment, moment],
        )


def _moved_per_rep(stage: int, now: datetime) -> dict[int, tuple[int, list[int]]]:
    """{rep: (how many leads this sweep moved to `stage`, the first few lead ids)}."""
    moment = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT owner_id, lead_id, total FROM ("  # noqa: S608 - our table
            "SELECT owner_id, lead_id, COUNT(*) OVER (PARTITION BY owner_id) AS total, "
            "ROW_NUMBER() OVER (PARTITION BY owner_id ORDER BY lead_id) AS n "
            f"FROM {_DUE} WHERE overdue_stage = %s AND staged_at = %s) AS moved "
            "WHERE n <= %s ORDER BY owner_id, lead_id",
            [stage, moment, SHOWN_PER_NOTICE],
        )
        per_rep: dict[int, tuple[int, list[int]]] = {}
        for owner_id, lead_id, total in cursor.fetchall():
            per_rep.setdefault(owner_id, (total, []))[1].append(lead_id)
    return per_rep


def _mark_escalated(now: datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_LAPSES} SET escalated_at = %s WHERE escalated_at IS NULL "  # noqa: S608
            f"AND lead_id IN (SELECT lead_id FROM {_DUE} WHERE overdue_stage = 2)",
            [connection.ops.adapt_datetimefield_value(now)],
        )


def _tell(per_rep: dict[int, tuple[int, list[int]]], *, to_manager: bool) -> None:
    """One notice per person, however many leads: "3 leads overdue: G…, G…"."""
    owners = User.objects.select_related("team__leader", "department__manager").in_bulk(per_rep)
    shown = [lead_id for _count, leads in per_rep.values() for lead_id in leads]
    numbers = dict(Lead.objects.filter(pk__in=shown).values_list("id", "number"))
    for owner_id, (count, leads) in per_rep.items():
        owner = owners.get(owner_id)
        if owner is None:
            continue
        listed = ", ".join(numbers.get(lead_id, "") for lead_id in leads)
        listed += " …" if count > len(leads) else ""
        if to_manager:
            target = manager_of(owner)
            if target is None:
                continue
            title = gettext("%(rep)s: %(count)d leads still overdue") % {
                "rep": owner,
                "count": count,
            }
        else:
            target = owner
            title = gettext("%(count)d leads past their follow-up deadline") % {"count": count}
        url = f"/leads/{leads[0]}/" if count == 1 else "/leads/followups/?when=overdue"
        notify(target, Message(title=title, body=listed, url=url, level="warning"))


# ------------------------------------------------------------------ lists


DUE_WINDOWS = ("overdue", "today", "week", "due")


def due_window(when: str, now: datetime) -> tuple[datetime | None, datetime]:
    """(from, until) for "overdue", "today", "week" and "due" (overdue or due today, the
    workbench's to-dos) in the company's days."""
    local = timezone.localtime(now)
    start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if when == "overdue":
        return None, now
    if when == "today":
        return now, start_of_day + timedelta(days=1)
    if when == "week":
        return now, start_of_day + timedelta(days=7 - local.weekday())
    if when == "due":
        return None, start_of_day + timedelta(days=1)
    raise ValidationFailed(
        gettext("Unknown list."),
        fields={"when": gettext("%(value)r is not overdue, today, week or due") % {"value": when}},
    )
