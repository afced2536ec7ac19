"""A lead's timeline (DESIGN: one fact, recorded once). Every `LeadEvent` is written here,
by one function per kind that builds its payload; KINDS lists the kinds and what each
payload holds. Scoring, the audit log, analytics and automation's triggers read them.

A step a person took (accepting, declining, claiming, following up, moving the stage,
converting) is recorded once for the timeline and once for the audit log (SEC-3); steps
the system takes (scoring, assigning, returning to the pool) go on the timeline only. The
bulk import writes its "merged" and "scored" events with the payload builders used here
(`merged_data`, `scored_data`) through `timeline_rows_insert`.
"""

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.core.audit import audit_record, register_action_labels, register_object_labels
from leadflow.core.inserts import insert_rows

from .models import Lead, LeadEvent, ScoreRule

# Every kind of timeline event and what its data holds: the contract automation reads.
KINDS: dict[str, str] = {
    "merged": "merged_number, matched_on ('mobile+email'), changed [fields], to_confirm [fields]",
    "merge_undone": "survivor, merged (numbers), restored [fields]",
    "verified": "(nothing)",
    "scored": "trigger, score [before, after], grade [before, after], rules {rule: points}, "
    "changes [{rule, points}] (a single score only)",
    "priority_set": "priority [before, after], reason",
    "assigned": "rep, how (auto | manual | request | declined | timeout …), reason, "
    "match {rule: points}",
    "nurture": "(nothing): grade C to the long-term nurture pool",
    "accepted": "(nothing)",
    "declined": "reason",
    "reassign_requested": "reason",
    "reassign_decided": "approved, note",
    "followed_up": "method, contact_at, intent, next_step, next_due_at, late",
    "stage": "from, to, fact, reason; deal_amount, deal_date when won",
    "converted": "customer_id, customer, new_customer, deal_id, amount, cycle_days",
    "returned_to_pool": "reason",
    "claimed": "(nothing)",
    "tagged": "tag",
    "untagged": "tag",
    "field_set": "field, before, after, reason (a qualification field set by automation)",
    # What the person did (LEAD-SCR-1), recorded by the API or the UI: data as given.
    **dict.fromkeys(ScoreRule.Event.values, "what the caller gave, as given"),
}


def _checked(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"{kind!r} is not a lead event kind (leads.events.KINDS)")
    return kind


def _record(
    lead: Lead, kind: str, *, by=None, data: dict[str, Any] | None = None, at=None
) -> LeadEvent:
    return LeadEvent.objects.create(
        lead=lead, at=at or timezone.now(), kind=_checked(kind), actor=by, data=data or {}
    )


def _records(kind: str, rows: Iterable[tuple[int, dict[str, Any]]], at: datetime) -> None:
    """Events of one kind for many leads ((lead id, data) pairs), in one insert."""
    LeadEvent.objects.bulk_create(
        LeadEvent(lead_id=lead_id, at=at, kind=_checked(kind), data=data) for lead_id, data in rows
    )


def _step(lead: Lead, kind: str, *, by, data: dict[str, Any] | None = None, at=None) -> LeadEvent:
    """A step a person took: on the timeline and in the audit log."""
    event = _record(lead, kind, by=by, data=data, at=at)
    audit_record(actor=by, action=f"lead.{kind}", obj=lead, extra=data or {})
    return event


# Payload builders: the single capture and the bulk import share them.


def merged_data(
    *, merged_number: str, matched_on: str, changed: Iterable[str], to_confirm: Iterable[str] = ()
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "merged_number": merged_number,
        "matched_on": matched_on,
        "changed": sorted(changed),
    }
    if to_confirm := sorted(to_confirm):
        data["to_confirm"] = to_confirm
    return data


def scored_data(
    *,
    trigger: str,
    score: Sequence[int],
    grade: Sequence[str],
    rules: dict[str, int],
    changes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`score` and `grade` are [before, after]; `rules` the points each rule gives now."""
    data: dict[str, Any] = {
        "trigger": trigger,
        "score": list(score),
        "grade": list(grade),
        "rules": rules,
    }
    if changes is not None:
        data["changes"] = changes
    return data


# One writer per kind.


def lead_merged(
    lead: Lead,
    *,
    merged_number: str,
    matched_on: str,
    changed: Iterable[str],
    to_confirm: Iterable[str] = (),
    by=None,
    at=None,
) -> LeadEvent:
    data = merged_data(
        merged_number=merged_number, matched_on=matched_on, changed=changed, to_confirm=to_confirm
    )
    return _record(lead, "merged", by=by, at=at, data=data)


def merge_undone(
    lead: Lead, *, survivor: str, merged: str, restored: list[str], by, at=None
) -> LeadEvent:
    data = {"survivor": survivor, "merged": merged, "restored": restored}
    return _record(lead, "merge_undone", by=by, at=at, data=data)


def lead_verified(lead: Lead, *, by, at=None) -> LeadEvent:
    return _record(lead, "verified", by=by, at=at)


def lead_scored(lead: Lead, *, by=None, at=None, **payload: Any) -> LeadEvent:
    """`payload`: the keyword arguments of `scored_data`."""
    return _record(lead, "scored", by=by, at=at, data=scored_data(**payload))


def leads_scored(rows: Iterable[tuple[int, dict[str, Any]]], *, at: datetime) -> None:
    """Many leads rescored at once: (lead id, `scored_data(…)`) pairs."""
    _records("scored", rows, at)


def priority_set(lead: Lead, *, before: str, after: str, reason: str, by, at=None) -> LeadEvent:
    data = {"priority": [before, after], "reason": reason}
    return _record(lead, "priority_set", by=by, at=at, data=data)


def lead_assigned(
    lead: Lead, *, rep, how: str, reason: str, match: dict[str, Any], by=None, at=None
) -> LeadEvent:
    data = {"rep": str(rep), "how": how, "reason": reason, "match": match}
    return _record(lead, "assigned", by=by, at=at, data=data)


def lead_nurtured(lead: Lead, *, by=None, at=None) -> LeadEvent:
    return _record(lead, "nurture", by=by, at=at)


def lead_accepted(lead: Lead, *, by, at=None) -> LeadEvent:
    return _step(lead, "accepted", by=by, at=at)


def lead_declined(lead: Lead, *, reason: str, by, at=None) -> LeadEvent:
    return _step(lead, "declined", by=by, at=at, data={"reason": reason})


def reassign_requested(lead: Lead, *, reason: str, by, at=None) -> LeadEvent:
    return _record(lead, "reassign_requested", by=by, at=at, data={"reason": reason})


def reassign_decided(lead: Lead, *, approved: bool, note: str, by, at=None) -> LeadEvent:
    data = {"approved": approved, "note": note}
    return _record(lead, "reassign_decided", by=by, at=at, data=data)


def followed_up(
    lead: Lead,
    *,
    method: str,
    contact_at: datetime,
    intent: str,
    next_step: str,
    next_due_at: datetime | None,
    late: bool,
    by,
    at=None,
) -> LeadEvent:
    data = {
        "method": method,
        "contact_at": contact_at.isoformat(),
        "intent": intent,
        "next_step": next_step,
        "next_due_at": next_due_at.isoformat() if next_due_at else None,
        "late": late,
    }
    return _step(lead, "followed_up", by=by, at=at, data=data)


def stage_changed(
    lead: Lead,
    *,
    before: str,
    after: str,
    fact: str,
    reason: str,
    deal_amount: Decimal | None = None,
    deal_date=None,
    by,
    at=None,
) -> LeadEvent:
    """The event's data says "from" and "to"; a won stage names the deal."""
    data: dict[str, Any] = {"from": before, "to": after, "fact": fact, "reason": reason}
    if deal_amount is not None or deal_date is not None:
        data.update(deal_amount=str(deal_amount), deal_date=str(deal_date))
    return _step(lead, "stage", by=by, at=at, data=data)


def lead_converted(lead: Lead, *, customer, new_customer: bool, deal, by, at=None) -> LeadEvent:
    data = {
        "customer_id": customer.pk,
        "customer": customer.name,
        "new_customer": new_customer,
        "deal_id": deal.pk,
        "amount": str(deal.amount),
        "cycle_days": str(deal.cycle_days),
    }
    return _step(lead, "converted", by=by, at=at, data=data)


def leads_returned_to_pool(lead_ids: Iterable[int], *, reason: str, at: datetime) -> None:
    _records("returned_to_pool", ((lead_id, {"reason": reason}) for lead_id in lead_ids), at)


def lead_tagged(lead: Lead, *, tag: str, by=None) -> LeadEvent:
    """A tag put on the lead, by a person (audited too) or a journey (by nobody)."""
    if by is None:
        return _record(lead, "tagged", data={"tag": tag})
    return _step(lead, "tagged", by=by, data={"tag": tag})


def lead_field_changed(
    lead: Lead, *, field: str, before: str, after: str, reason: str
) -> LeadEvent:
    data = {"field": field, "before": before, "after": after, "reason": reason}
    return _record(lead, "field_set", data=data)


def lead_untagged(lead: Lead, *, tag: str, by) -> LeadEvent:
    return _step(lead, "untagged", by=by, data={"tag": tag})


def lead_claimed(lead: Lead, *, by, at=None) -> LeadEvent:
    return _step(lead, "claimed", by=by, at=at)


def activity_recorded(lead: Lead, *, kind: str, data: dict[str, Any] | None, by=None) -> LeadEvent:
    """What the person did (a ScoreRule.Event kind), with what the caller gave."""
    if kind not in ScoreRule.Event.values:
        raise ValueError(f"{kind!r} is not an activity (ScoreRule.Event)")
    return _record(lead, kind, by=by, data=data)


# The bulk import writes its rows with raw SQL, times already as text.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def timeline_rows_insert(rows: Iterable[tuple[int, str, str, int | None, dict[str, Any]]]) -> None:
    """(lead id, at as stored text, kind, actor id, data built by this module's payload
    builders) rows, in one go on the current connection (COPY on PostgreSQL)."""
    insert_rows(
        LeadEvent._meta.db_table,
        ("lead_id", "at", "kind", "actor_id", "data"),
        [
            (lead_id, at, _checked(kind), actor_id, _JSON.encode(data))
            for lead_id, at, kind, actor_id, data in rows
        ],
    )


register_object_labels(
    {
        "leads.lead": _("Lead"),
        "leads.importbatch": _("Lead import"),
        "leads.webform": _("Web form"),
        "leads.scorerule": _("Score rule"),
        "leads.channel": _("Channel"),
    }
)
register_action_labels(
    {
        "lead.create": _("captured lead"),
        "lead.view": _("viewed the personal data of lead"),
        "lead.list_view": _("viewed a list of leads with their personal data"),
        "lead.accepted": _("accepted lead"),
        "lead.declined": _("declined lead"),
        "lead.claimed": _("claimed from the public pool lead"),
        "lead.tagged": _("tagged lead"),
        "lead.untagged": _("took a tag off lead"),
        "lead.followed_up": _("recorded a follow-up of lead"),
        "lead.stage": _("moved the stage of lead"),
        "lead.converted": _("converted into a customer lead"),
        "lead.assign": _("assigned lead"),
        "lead.to_pool": _("sent lead to the public pool"),
        "lead.verify": _("verified lead"),
        "lead.priority": _("set the priority of lead"),
        "lead.merge_undo": _("undid a merge into lead"),
        "lead.reassign_request": _("decided a reassignment request for lead"),
        "lead.import": _("imported a lead file"),
        "lead.": _("changed lead"),
        "webform.create": _("created web form"),
        "webform.update": _("changed web form"),
        "repprofile.": _("changed what a rep takes"),
        "teamprofile.": _("changed what a team takes"),
        "scorerule.": _("changed score rules"),
        "channel.": _("changed channel"),
        "nontargetrule.": _("changed non-target rule"),
    }
)
