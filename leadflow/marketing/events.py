"""A campaign's timeline (MKT-2): every CampaignEvent is written here, of a kind listed in
KINDS with what its data holds; a person's step is audited too (SEC-3)."""

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.core.audit import audit_record, register_action_labels, register_object_labels

from .models import Campaign, CampaignEvent

KINDS: dict[str, str] = {
    "created": "(nothing)",
    "changed": "fields [names]",
    "submitted": "(nothing): the plan went to its approval flow",
    "in_review": "step",
    "awaiting": "step",
    "returned": "comment",
    "approved": "approval",
    "cancelled": "reason",
    "started": "(nothing)",
    "ended": "(nothing)",
    "evaluated": "figures {name: value}",
    "note": "(the text: a progress meeting's note)",
    "participants": "participants (counted), file",
    "task_added": "task, assignee, due_on",
    "task_done": "task",
}

register_object_labels(
    {
        "marketing.campaign": _("Campaign"),
        "marketing.expenseclaim": _("Expense claim"),
        "marketing.budget": _("Budget"),
    }
)
register_action_labels(
    {
        "campaign.": _("changed campaign"),
        "budget.": _("changed the marketing budget"),
        "claim.": _("changed expense claim"),
    }
)


def campaign_event_record(
    campaign: Campaign,
    kind: str,
    *,
    by=None,
    text: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CampaignEvent:
    if kind not in KINDS:
        raise ValueError(f"{kind!r} is not a campaign event kind (marketing.events.KINDS)")
    event = CampaignEvent.objects.create(
        campaign=campaign, at=at or timezone.now(), actor=by, kind=kind, text=text, data=data or {}
    )
    if by is not None:
        audit_record(actor=by, action=f"campaign.{kind}", obj=campaign, extra=data or {})
    return event
