"""Public pool (公海, LEAD-FUP-4): leads nobody works go back, and reps claim them.

An accepted lead carries `pool_due_at` (set by `followup.Deadlines.pool_due`): N days after
its last follow-up, at the latest M days after acceptance unless it is won, lost, invalid
or paused. K days before, the minute sweep warns the owner once (shown as 待进入公海);
when the day comes it takes the lead back: no owner, status `pool`, a `returned` row in
the ownership log. Reps claim from the pool within their open-lead limit and a daily
limit; the rep who let a lead go waits some days before claiming it again.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from leadflow.accounts.models import User
from leadflow.core.audit import audit_record
from leadflow.core.company_settings import get_settings
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.sweeps import sweep
from leadflow.notify.delivery import Message, briefly, notify

from .assignment import open_leads_of
from .events import lead_claimed, leads_returned_to_pool
from .followup import clear_deadlines, start_deadlines
from .models import Lead, LeadAssignment, LeadStatus, RepProfile, Stage
from .permissions import LEADS_ASSIGN, LEADS_CLAIM

_TABLE = Lead._meta.db_table
IDLE, UNWON = "idle", "unwon"


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _warn(until: datetime) -> list[tuple]:
    """Mark the owned leads due back before `until` as warned, once; (id, owner, number)."""
    return _rows(
        f"UPDATE {_TABLE} SET pool_warned = %s "  # noqa: S608 - our table
        "WHERE status = %s AND pool_warned = %s AND pool_due_at < %s "
        "RETURNING id, owner_id, number",
        [True, LeadStatus.ACCEPTED.value, False, connection.ops.adapt_datetimefield_value(until)],
    )


def _take_back(now: datetime, unwon_before: datetime, *, unwon: bool) -> list[tuple]:
    """Take back the leads past their pool deadline (with `unwon`, only those accepted
    before `unwon_before`); (id, previous owner, number) of the leads this call took.
    Rows another worker holds are skipped (PostgreSQL); SQLite runs one writer at a time."""
    not_won_in_time = " AND accepted_at < %s" if unwon else ""
    skip_locked = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    rows = []
    # Plain SQL: the ORM writes a boolean test as `pool_warned` / `NOT pool_warned`, which
    # SQLite cannot match to the lead_pool_due index; each value is one range of it.
    for warned in (True, False):
        rows += _rows(
            f"SELECT id, owner_id, number FROM {_TABLE} "  # noqa: S608 - our table
            f"WHERE status = %s AND pool_warned = %s AND pool_due_at < %s"
            f"{not_won_in_time}{skip_locked}",
            [
                LeadStatus.ACCEPTED.value,
                warned,
                connection.ops.adapt_datetimefield_value(now),
                *([connection.ops.adapt_datetimefield_value(unwon_before)] if unwon else []),
            ],
        )
    for start in range(0, len(rows), 500):
        lead_ids = [row[0] for row in rows[start : start + 500]]
        clear_deadlines(lead_ids)
        Lead.objects.filter(pk__in=lead_ids).update(
            status=LeadStatus.POOL,
            owner=None,
            pool_due_at=None,
            pool_warned=False,
            updated_at=now,
        )
    return rows


@sweep("leads.pool")
def return_idle_leads(now: datetime) -> dict[str, Any]:
    """Warn owners K days before, then take back the leads nobody worked (LEAD-FUP-4).
    Set-based and idempotent: a lead is warned once and taken back once, whichever worker
    gets there first."""
    values = get_settings("pool.")
    with transaction.atomic():
        warned = _warn(now + timedelta(days=values["pool.warn_days"]))
        _tell(warned, returned=False)
    unwon_before = now - timedelta(days=values["pool.unwon_days"])
    returned = {}
    with transaction.atomic():
        for reason, unwon in ((UNWON, True), (IDLE, False)):
            rows = _take_back(now, unwon_before, unwon=unwon)
            returned[reason] = rows
            _log_returns(rows, reason, now, values)
        _tell(returned[UNWON] + returned[IDLE], returned=True)
    return {"warned": len(warned), "returned": len(returned[UNWON]) + len(returned[IDLE])}


def _reason_text(reason: str, values: dict[str, Any]) -> str:
    if reason == UNWON:
        return gettext("not won within %(days)d days") % {"days": values["pool.unwon_days"]}
    return gettext("no follow-up for %(days)d days") % {"days": values["pool.idle_days"]}


def _log_returns(rows: list[tuple], reason: str, now: datetime, values: dict) -> None:
    """The ownership log and the timeline, one row each per lead taken back."""
    text = _reason_text(reason, values)
    LeadAssignment.objects.bulk_create(
        LeadAssignment(
            lead_id=lead_id,
            rep=None,
            previous_id=owner_id,
            kind=LeadAssignment.Kind.RETURNED,
            reason=text,
            at=now,
        )
        for lead_id, owner_id, _ in rows
    )
    leads_returned_to_pool((lead_id for lead_id, _, _ in rows), reason=text, at=now)


def _tell(rows: list[tuple], *, returned: bool) -> None:
    """One notice per owner, however many leads."""
    by_owner: dict[int, list[str]] = defaultdict(list)
    for _lead_id, owner_id, number in rows:
        if owner_id is not None:
            by_owner[owner_id].append(number)
    owners = User.objects.in_bulk(by_owner)
    for owner_id, numbers in by_owner.items():
        if owner_id not in owners:
            continue
        count = len(numbers)
        if returned:
            title = gettext("%(count)d of your leads went back to the public pool")
        else:
            title = gettext("%(count)d leads go back to the public pool soon: follow them up")
        notify(
            owners[owner_id],
            Message(
                title=title % {"count": count},
                body=briefly(numbers),
                url="/leads/?status=pool_soon" if not returned else "/leads/pool/",
                level="warning",
            ),
        )


# ------------------------------------------------------------------ claiming


def may_see_pool(user: User) -> bool:
    return user.has_permission(LEADS_CLAIM) or user.has_permission(LEADS_ASSIGN)


def pool_leads(user: User, *, q: str = "", region: str = "", grade: str = "") -> QuerySet[Lead]:
    """The leads in the public pool, to anyone who may claim or assign them: the pool is
    open to every rep, whatever their data scope (that is what makes it public)."""
    if not may_see_pool(user):
        return Lead.objects.none()
    leads = Lead.objects.filter(status=LeadStatus.POOL).select_related("channel")
    if q.strip():
        leads = leads.filter(Q(name__icontains=q.strip()) | Q(number__startswith=q.strip().upper()))
    if region.strip():
        leads = leads.filter(region__startswith=region.strip())
    if grade:
        leads = leads.filter(grade=grade)
    return leads


def pool_lead(user: User, lead_id: int) -> Lead | None:
    return pool_leads(user).filter(pk=lead_id).first()


def claim_limits(user: User, now: datetime | None = None) -> dict[str, Any]:
    """What the rep may still claim: open leads against their limit, claims made today
    against the daily limit."""
    now = now or timezone.now()
    values = get_settings("pool.")
    profile = RepProfile.objects.filter(user=user).first()
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "open_leads": open_leads_of(user),
        "open_limit": profile.capacity if profile else values["pool.open_limit"],
        "claimed_today": LeadAssignment.objects.filter(
            rep=user, kind=LeadAssignment.Kind.CLAIMED, at__gte=start_of_day
        ).count(),
        "daily_limit": values["pool.daily_claims"],
    }


@transaction.atomic
@transaction.atomic
def lead_return_to_pool(*, lead: Lead, by: User, reason: str) -> Lead:
    """Send a lead back to the public pool by hand (LEAD-FUP-4): its owner letting it go,
    or whoever assigns leads (a bulk action of the lead list); a won lead stays."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            gettext("Say why the lead goes back to the pool."),
            fields={"reason": gettext("required")},
        )
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if locked.owner_id != by.pk and not by.has_permission(LEADS_ASSIGN):
        raise Forbidden(
            gettext("Only the lead's owner or whoever assigns leads sends it to the pool.")
        )
    if locked.status not in (LeadStatus.ASSIGNED, LeadStatus.ACCEPTED) or locked.stage in (
        Stage.WON,
    ):
        raise Conflict(
            gettext("Only an open lead that someone holds goes back to the pool."),
            fields={"status": locked.status_words()},
        )
    now = timezone.now()
    clear_deadlines([locked.pk])
    Lead.objects.filter(pk=locked.pk).update(
        status=LeadStatus.POOL,
        owner=None,
        accept_by=None,
        pool_due_at=None,
        pool_warned=False,
        updated_at=now,
    )
    LeadAssignment.objects.create(
        lead=locked,
        rep=None,
        previous_id=locked.owner_id,
        kind=LeadAssignment.Kind.RETURNED,
        reason=reason,
        by=by,
        at=now,
    )
    leads_returned_to_pool([locked.pk], reason=reason, at=now)
    audit_record(actor=by, action="lead.to_pool", obj=locked, extra={"reason": reason})
    if locked.owner_id not in (None, by.pk):
        notify(
            User.objects.get(pk=locked.owner_id),
            Message(
                title=gettext("Lead %(number)s went back to the public pool")
                % {"number": locked.number},
                body=reason,
                url=f"/leads/{locked.pk}/",
            ),
        )
    locked.refresh_from_db()
    return locked


def lead_claim(*, lead: Lead, by: User) -> Lead:
    """A rep takes a lead from the public pool as their own, accepted at once: within their
    open-lead limit and the daily limit, and not a lead they let go too recently."""
    if not by.has_permission(LEADS_CLAIM):
        raise Forbidden(gettext("Only sales reps and managers claim leads from the pool."))
    User.objects.select_for_update().filter(pk=by.pk).first()  # one claim per rep at a time
    now = timezone.now()
    limits = claim_limits(by, now)
    if limits["open_leads"] >= limits["open_limit"]:
        raise Conflict(
            gettext("You hold as many open leads as you may: close or hand some on first."),
            fields={
                "open_leads": gettext("%(count)s of %(limit)s")
                % {"count": limits["open_leads"], "limit": limits["open_limit"]}
            },
        )
    if limits["claimed_today"] >= limits["daily_limit"]:
        raise Conflict(
            gettext("You have claimed as many leads today as you may."),
            fields={
                "claimed_today": gettext("%(count)s of %(limit)s")
                % {"count": limits["claimed_today"], "limit": limits["daily_limit"]}
            },
        )
    wait = timedelta(days=get_settings("pool.")["pool.reclaim_wait_days"])
    let_go = (
        LeadAssignment.objects.filter(
            lead=lead, kind=LeadAssignment.Kind.RETURNED, previous=by, at__gt=now - wait
        )
        .order_by("-at")
        .first()
    )
    if let_go is not None:
        allowed = timezone.localtime(let_go.at + wait).strftime("%Y-%m-%d %H:%M")
        raise Conflict(
            gettext("This lead went back to the pool from you: you may claim it again from %(at)s.")
            % {"at": allowed},
            fields={
                "lead": gettext("%(number)s went back to the pool from you at %(at)s")
                % {"number": lead.number, "at": allowed}
            },
        )
    taken = Lead.objects.filter(pk=lead.pk, status=LeadStatus.POOL).update(
        status=LeadStatus.ACCEPTED,
        owner=by,
        assigned_at=now,
        accept_by=None,
        accepted_at=now,
        waiting_reason="",
        stage=lead.stage or Stage.INITIAL,
        furthest_stage=lead.furthest_stage or Stage.INITIAL,
        updated_at=now,
    )
    if taken != 1:
        raise Conflict(
            gettext("This lead is no longer in the pool."),
            fields={
                "status": gettext("%(number)s was claimed or assigned meanwhile")
                % {"number": lead.number}
            },
        )
    lead.refresh_from_db()
    start_deadlines(lead, now)
    LeadAssignment.objects.create(
        lead=lead, rep=by, kind=LeadAssignment.Kind.CLAIMED, at=now, accepted_at=now
    )
    lead_claimed(lead, by=by, at=now)
    return lead
