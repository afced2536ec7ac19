"""A lead's timeline (DESIGN: one fact, recorded once): every `LeadEvent` is written
here, of a kind listed in KINDS with its payload. Scoring, the audit log, analytics and
(later) automation read these events.

A step a person took (accepting, declining, claiming, following up, moving the stage,
converting) is recorded once for the timeline and once for the audit log (SEC-3); steps
the system takes (scoring, returning to the pool) go on the timeline only. The import
writes "merged" and "scored" events in bulk with the payloads built here too.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.core.audit import audit_record, register_action_labels

from .models import Lead, LeadEvent, ScoreRule

# Every kind of timeline event and what its data holds.
KINDS: dict[str, str] = {
    "merged": "merged_number, matched_on ('mobile+email'), changed [fields], to_confirm [fields]",
    "merge_undone": "survivor, merged (numbers), restored [fields]",
    "verified": "(nothing)",
    "scored": "trigger, score [before, after], grade [before, after], rules {rule: points}, "
    "changes [{rule, points}]",
    "priority_set": "priority [before, after], reason",
    "assigned": "rep, how (auto | manual | request | timeout), reason, match {rule: points}",
    "nurture": "(nothing): grade C to the long-term nurture pool",
    "accepted": "(nothing)",
    "declined": "reason",
    "reassign_requested": "reason",
    "reassign_decided": "approved, note",
    "followed_up": "method, contact_at, intent, next_step, next_at, late",
    "stage": "from, to, fact, reason; deal_amount, deal_date when won",
    "converted": "customer_id, customer, new_customer, deal_id, amount, cycle_days",
    "returned_to_pool": "reason",
    "claimed": "(nothing)",
    # What the person did (LEAD-SCR-1), recorded by the API or the UI: data as given.
    **dict.fromkeys(ScoreRule.Event.values, "anything worth keeping"),
}


def _checked(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"{kind!r} is not a lead event kind (leads.events.KINDS)")
    return kind


def timeline_event_record(
    *, lead: Lead, kind: str, by=None, data: dict[str, Any] | None = None, at=None
) -> LeadEvent:
    """One event on the lead's timeline."""
    return LeadEvent.objects.create(
        lead=lead, at=at or timezone.now(), kind=_checked(kind), actor=by, data=data or {}
    )


def timeline_events_record(kind: str, rows: Iterable[tuple[int, dict[str, Any]]], at) -> None:
    """Events of one kind for many leads ((lead id, data) pairs), in one insert."""
    LeadEvent.objects.bulk_create(
        LeadEvent(lead_id=lead_id, at=at, kind=_checked(kind), data=data) for lead_id, data in rows
    )


def merged_data(
    *, merged_number: str, matched_on: str, changed: Iterable[str], to_confirm: Iterable[str] = ()
) -> dict[str, Any]:
    """The payload of a "merged" event, for the single capture and the import alike."""
    data: dict[str, Any] = {
        "merged_number": merged_number,
        "matched_on": matched_on,
        "changed": sorted(changed),
    }
    if to_confirm := sorted(to_confirm):
        data["to_confirm"] = to_confirm
    return data


register_action_labels(
    {
        "lead.create": _("captured lead"),
        "lead.view": _("viewed the personal data of lead"),
        "lead.list_view": _("viewed a list of leads with their personal data"),
        "lead.accepted": _("accepted lead"),
        "lead.declined": _("declined lead"),
        "lead.claimed": _("claimed from the public pool lead"),
        "lead.followed_up": _("recorded a follow-up of lead"),
        "lead.stage": _("moved the stage of lead"),
        "lead.converted": _("converted into a customer lead"),
        "lead.assign": _("assigned lead"),
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


def lead_step_record(
    *, lead: Lead, kind: str, by, data: dict[str, Any] | None = None, at: datetime | None = None
) -> LeadEvent:
    event = timeline_event_record(lead=lead, kind=kind, by=by, data=data, at=at)
    audit_record(actor=by, action=f"lead.{kind}", obj=lead, extra=data or {})
    return event
