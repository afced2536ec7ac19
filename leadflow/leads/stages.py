"""Stages (LEAD-STS-1, -2): where an accepted lead stands, moved by its owner with the fact
that justifies it. A closed stage (won, lost, invalid, paused) stops the follow-up
deadlines and a reopened one starts them again; 成交 converts the lead into a customer
and a deal (`conversion`).
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.storable import check_storable
from leadflow.customers.credit_code import InvalidCreditCode, normalize_credit_code

from .conversion import convert_won_lead
from .events import stage_changed
from .followup import Deadlines, write_deadlines
from .models import CLOSED, MAIN_PATH, Lead, LeadStatus, Stage
from .permissions import LEADS_ASSIGN

INVALID_REASONS = {
    "gave_up": _("Customer gave up"),
    "need_mismatch": _("Need does not match"),
    "unreachable": _("Cannot be reached"),
}


def _path_index(stage: str) -> int:
    return MAIN_PATH.index(stage) if stage in MAIN_PATH else -1


@transaction.atomic
def lead_stage_set(
    *,
    lead: Lead,
    stage: str,
    fact: str,
    by: User,
    reason: str = "",
    deal_amount: Decimal | None = None,
    deal_date: date | None = None,
    credit_code: str = "",
) -> Lead:
    """Move an accepted lead to a stage, with the fact that justifies it (LEAD-STS-1, -2).

    Refused with the rule it breaks: 无效 needs a reason (gave up, need mismatch,
    unreachable), 流失 a reason, 成交 the deal amount and date; a won lead stays won; only a
    manager takes a lead out of 无效."""
    if lead.owner_id != by.pk and not by.has_permission(LEADS_ASSIGN):
        raise Forbidden(gettext("Only the lead's owner or a manager moves its stage."))
    if lead.status != LeadStatus.ACCEPTED:
        raise Conflict(
            gettext("Only an accepted lead has a stage."),
            fields={"status": lead.status_words()},
        )
    errors: dict[str, str] = {}
    if stage not in Stage.values:
        errors["stage"] = gettext("%(value)r is not one of %(allowed)s") % {
            "value": stage,
            "allowed": ", ".join(Stage.values),
        }
    if not fact.strip():
        errors["fact"] = gettext("required: what happened that moves the lead")
    if stage == Stage.INVALID and reason not in INVALID_REASONS:
        errors["reason"] = gettext("required for 无效: one of %(allowed)s") % {
            "allowed": "、".join(f"{code}（{label}）" for code, label in INVALID_REASONS.items())
        }
    if stage == Stage.LOST and not reason.strip():
        errors["reason"] = gettext("required for 流失: why the customer was lost")
    if stage == Stage.WON:
        if deal_amount is None or deal_amount <= 0:
            errors["deal_amount"] = gettext("required for 成交: the amount, above zero")
        if deal_date is None:
            errors["deal_date"] = gettext("required for 成交: the date of the deal")
        elif deal_date > timezone.localdate():
            errors["deal_date"] = gettext("%(day)s is in the future") % {"day": deal_date}
        if credit_code.strip():
            try:
                credit_code = normalize_credit_code(credit_code)
            except InvalidCreditCode as error:
                errors["credit_code"] = f"{credit_code.strip()!r} {error}"
    if errors:
        raise ValidationFailed(gettext("The stage was not changed."), fields=errors)
    if lead.stage == Stage.WON:
        raise Conflict(gettext("A won lead stays won."), fields={"stage": f"{lead.number} is won"})
    if lead.stage == Stage.INVALID and stage != Stage.INVALID:
        if not by.has_permission(LEADS_ASSIGN):
            raise Forbidden(gettext("Only a manager takes a lead out of 无效."))
    check_storable(Lead, {"stage_reason": reason.strip()})  # written with update()
    now = timezone.now()
    before = lead.stage
    changes: dict[str, Any] = {
        "stage": stage,
        "stage_reason": reason.strip(),
        "stage_changed_at": now,
        "updated_at": now,
    }
    if stage in MAIN_PATH and MAIN_PATH.index(stage) > _path_index(lead.furthest_stage):
        changes["furthest_stage"] = stage
    if stage == Stage.WON:
        changes.update(deal_amount=deal_amount, deal_date=deal_date)
    if stage in CLOSED:
        changes.update(next_due_at=None, pool_due_at=None, pool_warned=False)
    elif before in CLOSED or lead.next_due_at is None:
        # Reopened: the cadence and the pool's idle clock start again from today.
        deadlines = Deadlines()
        changes.update(
            next_due_at=deadlines.next_after(now, lead.priority),
            pool_due_at=deadlines.pool_due(lead.accepted_at or now, now),
            pool_warned=False,
        )
    write_deadlines(lead, **changes)
    won = stage == Stage.WON
    stage_changed(
        lead,
        before=before,
        after=stage,
        fact=fact.strip(),
        reason=changes["stage_reason"],
        deal_amount=deal_amount if won else None,
        deal_date=deal_date if won else None,
        by=by,
        at=now,
    )
    if stage == Stage.WON and deal_amount is not None and deal_date is not None:
        convert_won_lead(
            lead=lead,
            by=by,
            now=now,
            amount=deal_amount,
            signed_on=deal_date,
            credit_code=credit_code.strip(),
        )
    return lead
