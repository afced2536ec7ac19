"""Capture (LEAD-CAP-1…5) and dedupe (LEAD-CLN-2…4): the writes of the one path every
lead comes in by. The UI, the API and the public web form call `lead_capture`; what it
decides (clean values, consent, status, dedupe keys, what a merge changes) is decided by
the pure functions of `leads.cleaning`, which the bulk import uses too.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.org import users_with_permission
from leadflow.core.audit import audit_record
from leadflow.core.company_settings import define
from leadflow.core.errors import Conflict, ValidationFailed
from leadflow.core.inserts import insert_new
from leadflow.core.personal import seal, unseal
from leadflow.notify.delivery import Message, notify

from .assignment import assign_new_lead, keeps_own_entry, lead_keep_own
from .cleaning import (
    KEY_COLUMNS,
    PROFILE_FIELDS,
    SNAPSHOT_FIELDS,
    CaptureContext,
    Consent,
    MergeRule,
    check_consent,
    clean_lead,
    decide_status,
    dedupe_keys,
    merge_outcome,
)
from .events import lead_merged, lead_verified, merge_undone
from .followup import clear_deadlines
from .locks import lock_capture_keys
from .models import Lead, LeadMerge, LeadStatus
from .non_target import active_rules
from .numbering import number_prefix, reserve_numbers
from .scope import lead_scope
from .scoring import Scoring, lead_rescore, score_values

# Profile values a later capture may bring; a merge takes the newest non-empty ones.
define(
    "leads.privacy_notice_version",
    "privacy-2026-01",
    "str",
    _("Privacy notice version staff confirm when entering a lead"),
    _("Leads"),
)


@dataclass
class CaptureResult:
    lead: Lead  # the live lead: the new one, or the one the capture merged into
    capture: Lead  # the row this capture made (equal to `lead` unless merged)
    merged: bool = False
    matched_on: list[str] = field(default_factory=list)
    # The capture joined a lead outside the caller's scope: answer without showing it.
    outside_scope: bool = False


def _snapshot(lead: Lead) -> dict[str, Any]:
    return {name: getattr(lead, name) for name in SNAPSHOT_FIELDS}


def distinct_pairs(lead_ids: list[int]) -> set[frozenset[int]]:
    """Pairs an administrator has declared different people by undoing their merge."""
    undone = LeadMerge.objects.filter(undone_at__isnull=False).filter(
        Q(survivor_id__in=lead_ids) | Q(merged_id__in=lead_ids)
    )
    return {frozenset(pair) for pair in undone.values_list("survivor_id", "merged_id")}


def find_duplicates(
    keys: list[tuple[str, str]], *, exclude_id: int
) -> tuple[list[Lead], list[str]]:
    """Live leads sharing one of these dedupe keys, oldest first, and which keys matched."""
    if not keys:
        return [], []
    # Most captures are new people: one small indexed query answers "none" before any
    # lead is loaded (written out, as the ORM took longer to build it than to run it).
    conditions = " OR ".join(
        f"({name} = %s AND kind = 'company')"
        if name == "company_key"
        else f"{KEY_COLUMNS[name]} = %s"
        for name, _ in keys
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Lead._meta.db_table} WHERE ({conditions}) "  # noqa: S608
            "AND status <> %s AND id <> %s",
            [*(value for _, value in keys), LeadStatus.MERGED.value, exclude_id],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return [], []
    candidates = list(Lead.objects.filter(pk__in=ids).order_by("id"))
    matched_on = sorted(
        {
            name
            for name, value in keys
            for lead in candidates
            if getattr(lead, KEY_COLUMNS[name]) == value
        }
    )
    return candidates, matched_on


@transaction.atomic
def lead_merge(
    *,
    survivor: Lead,
    merged: Lead,
    reason: str,
    by=None,
    now: datetime | None = None,
    rule: MergeRule = MergeRule.NEWEST,
) -> LeadMerge:
    """Fold `merged` into `survivor`: the survivor takes the newest non-empty values (as
    far as `rule` allows), the merged lead keeps its own and points at the survivor;
    recorded for undo. Values the rule held back are named in the event for the owner
    to confirm: the merged lead, one of the survivor's sources, still holds them."""
    now = now or timezone.now()
    if (
        merged.pk == survivor.pk
        or merged.status == LeadStatus.MERGED
        or survivor.status == LeadStatus.MERGED
    ):
        raise Conflict(
            gettext("Only two different live leads can be merged."),
            fields={"lead": f"{merged.number} → {survivor.number}"},
        )
    before, offered = _snapshot(survivor), _snapshot(merged)
    outcome = merge_outcome(
        before,
        survivor.values_at,
        offered,
        merged.values_at,
        channel=survivor.channel,
        rules=active_rules(),
        rule=rule,
    )
    for name, value in outcome.changes.items():
        setattr(survivor, name, value)
    survivor.values_at = outcome.values_at
    survivor.updated_at = now
    survivor.save()
    merged_status = merged.status
    Lead.objects.filter(pk=merged.pk).update(
        status=LeadStatus.MERGED, merged_into=survivor, updated_at=now
    )
    merged.status, merged.merged_into = LeadStatus.MERGED, survivor
    if merged_status == LeadStatus.ACCEPTED:
        clear_deadlines([merged.pk])  # the survivor's owner follows the customer up now
    # Later captures merged into the merged lead follow it to the survivor.
    Lead.objects.filter(merged_into=merged).update(merged_into=survivor)
    record = LeadMerge.objects.create(
        survivor=survivor,
        merged=merged,
        survivor_before=seal(_plain(before)),  # personal values encrypted (SEC-2)
        survivor_after=seal(_plain(_snapshot(survivor))),
        merged_status=merged_status,
        reason=reason,
        at=now,
        by=by,
    )
    lead_merged(
        survivor,
        merged_number=merged.number,
        matched_on=reason,
        changed=outcome.changed,
        to_confirm=outcome.held_back,
        by=by,
        at=now,
    )
    lead_rescore(lead=survivor, trigger="merge", by=by, now=now)
    return record


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (value.isoformat() if isinstance(value, datetime) else value)
        for name, value in values.items()
    }


@transaction.atomic
def lead_merge_undo(*, merge: LeadMerge, by) -> Lead:
    """Undo a merge: the merged lead is live again with its own values, the survivor gets
    back every value the merge changed and nobody has changed since; the pair is never
    merged automatically again."""
    if merge.undone_at is not None:
        raise Conflict(gettext("This merge was already undone."), fields={"merge": str(merge.pk)})
    now = timezone.now()
    survivor = Lead.objects.select_for_update().get(pk=merge.survivor_id)
    restored = []
    before, after_merge = unseal(merge.survivor_before), unseal(merge.survivor_after)
    for name, after in after_merge.items():
        if name in before and getattr(survivor, name) == after and after != before[name]:
            setattr(survivor, name, before[name])
            restored.append(name)
    survivor.updated_at = now
    survivor.save()
    Lead.objects.filter(pk=merge.merged_id).update(
        status=merge.merged_status, merged_into=None, updated_at=now
    )
    LeadMerge.objects.filter(pk=merge.pk).update(undone_at=now, undone_by=by)
    merged = Lead.objects.get(pk=merge.merged_id)
    for lead in (survivor, merged):
        merge_undone(
            lead, survivor=survivor.number, merged=merged.number, restored=restored, by=by, at=now
        )
        lead_rescore(lead=lead, trigger="merge_undone", by=by, now=now)
    audit_record(
        actor=by,
        action="lead.merge_undo",
        obj=survivor,
        extra={"merged": merged.number, "restored": restored},
    )
    return merged


def lead_capture(
    *, values: Mapping[str, Any], consent: Consent, via: str, by=None
) -> CaptureResult:
    """Validate, number, store and dedupe one captured lead. Nothing is saved when any
    field is refused: ValidationFailed names each field with its value and reason.

    Everything that needs no database is decided before the transaction, which stays
    short: on SQLite every other writer waits for it."""
    now = timezone.now()
    context = CaptureContext.current()
    clean, errors = clean_lead(values, context=context, now=now)
    errors.update(check_consent(consent, via=via))
    if errors:
        raise ValidationFailed(
            gettext("The lead was not saved: please correct the marked fields."), fields=errors
        )
    status, reason = decide_status(clean, context.rules)
    score, grade, priority = score_values(Scoring.current(), clean)
    lead = Lead(
        score=score,
        grade=grade,
        priority=priority,
        status=status,
        non_target_reason=reason,
        captured_via=via,
        created_by=by,
        created_at=now,
        updated_at=now,
        values_at=clean["acquired_at"],
        consent_notice_version=consent.notice_version.strip(),
        consent_channel=consent.channel.strip() or via,
        consent_at=(consent.consented_at or now) if consent.lawful_basis == "consent" else None,
        lawful_basis=consent.lawful_basis.strip(),
        **{
            name: clean[name]
            for name in (
                *PROFILE_FIELDS,
                "kind",
                "company_key",
                "channel",
                "channel_detail",
                "campaign_id",
                "acquired_at",
            )
        },
    )
    with transaction.atomic():
        keys = dedupe_keys(clean)
        lock_capture_keys([value for _, value in keys])
        prefix = number_prefix(clean["channel"].code, clean["acquired_at"], context.zone)
        [lead.number] = reserve_numbers(prefix=prefix)
        insert_new(lead)  # the hot path of every capture: the statement is built once
        candidates, matched_on = find_duplicates(keys, exclude_id=lead.pk)
        # Anonymous captures (the public form) are audited too, under the way they came.
        audit_record(actor=by or via, action="lead.create", obj=lead, extra={"via": via})
        if not candidates:
            if lead.status == LeadStatus.TO_ASSIGN and keeps_own_entry(by, via):
                lead_keep_own(lead=lead, by=by)  # 自拓: the rep who found it owns it
            elif lead.status == LeadStatus.TO_ASSIGN:
                # Assigned by a worker within a second, once this transaction commits.
                assign_new_lead.enqueue(lead.pk)
            return CaptureResult(lead=lead, capture=lead)
        survivor, *others = candidates
        rule = _merge_rule(survivor, by=by)
        reason = "+".join(matched_on)
        distinct = distinct_pairs([candidate.pk for candidate in candidates])
        for other in others if rule != MergeRule.KEEP else ():
            # The capture shows these leads are the same person too, unless an admin said not.
            if frozenset((survivor.pk, other.pk)) not in distinct:
                lead_merge(survivor=survivor, merged=other, reason=reason, by=by, now=now)
        lead_merge(survivor=survivor, merged=lead, reason=reason, by=by, now=now, rule=rule)
        survivor.refresh_from_db()
        if rule != MergeRule.NEWEST:
            _tell_about_held_back_capture(survivor, capture=lead)
        return CaptureResult(
            lead=survivor,
            capture=lead,
            merged=True,
            matched_on=matched_on,
            outside_scope=rule == MergeRule.KEEP,
        )


def lead_outside_scope(result: CaptureResult) -> Conflict:
    """What the caller is told when their capture joined a lead they may not see: that it
    exists and on which of their own values, nothing of the lead itself."""
    return Conflict(
        gettext("This lead is already followed up by another sales rep; its owner was told."),
        fields={name: gettext("an existing lead has the same value") for name in result.matched_on},
        code="lead_exists",
    )


def _merge_rule(survivor: Lead, *, by) -> MergeRule:
    """A capture may overwrite only a lead its author could see (SEC-1); an anonymous one
    (the public form) may only fill the empty fields of a lead somebody owns."""
    if by is not None:
        in_scope = Lead.objects.filter(lead_scope(by), pk=survivor.pk).exists()
        return MergeRule.NEWEST if in_scope else MergeRule.KEEP
    return MergeRule.FILL_EMPTY if survivor.owner_id else MergeRule.NEWEST


def _tell_about_held_back_capture(survivor: Lead, *, capture: Lead) -> None:
    """The owner (or, for a lead nobody owns yet, marketing) confirms what a capture that
    could not change the lead brought."""
    message = Message(
        title=gettext("Lead %(number)s was captured again: please confirm the new details")
        % {"number": survivor.number},
        body=gettext("Capture %(capture)s (%(channel)s) was kept as a source of the lead.")
        % {"capture": capture.number, "channel": capture.channel.name},
        url=f"/leads/{survivor.pk}/",
    )
    recipients = {user.pk: user for user in users_with_permission("leads.assign")}
    if survivor.owner is not None:
        recipients[survivor.owner.pk] = survivor.owner
    notify(list(recipients.values()), message)


@transaction.atomic
def lead_verify(*, lead: Lead, by) -> Lead:
    """Sales support confirms a new lead is complete (核对, LEAD-CLN-4): it may now be assigned."""
    if lead.status != LeadStatus.TO_VERIFY:
        raise Conflict(
            gettext("Only a lead waiting for verification can be verified."),
            fields={"status": lead.status_words()},
        )
    now = timezone.now()
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.TO_ASSIGN, updated_at=now)
    lead.status = LeadStatus.TO_ASSIGN
    lead_verified(lead, by=by, at=now)
    audit_record(actor=by, action="lead.verify", obj=lead)
    assign_new_lead.enqueue(lead.pk)
    return lead
