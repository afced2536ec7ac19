"""A step a person took on a lead, recorded once for the timeline and once for the audit
log (SEC-3): accepting, declining, claiming, following up, moving the stage, converting.
Steps the system takes (scoring, returning to the pool) go on the timeline only."""

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leadflow.core.audit import audit_record, register_action_labels

from .models import Lead, LeadEvent

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
    event = LeadEvent.objects.create(
        lead=lead, at=at or timezone.now(), kind=kind, actor=by, data=data or {}
    )
    audit_record(actor=by, action=f"lead.{kind}", obj=lead, extra=data or {})
    return event
