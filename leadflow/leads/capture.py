"""Capture (LEAD-CAP-1…5) and dedupe (LEAD-CLN-2…4): the one path every lead comes in by.

The UI, the API and the public web form call `capture_lead`; the importer runs the same
decisions (`clean_lead`, `decide_status`, `dedupe_keys`, `merge_changes`) over whole
chunks of rows. Rules live here once.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.org import users_with_permission
from leadflow.core.audit import audit_record
from leadflow.core.cleaning import (
    CleaningError,
    company_key,
    guess_kind,
    normalize_email,
    normalize_name,
    normalize_phone,
)
from leadflow.core.company_settings import define
from leadflow.core.config_cache import cached_config
from leadflow.core.crypto import lookup_hash
from leadflow.core.errors import Conflict, ValidationFailed
from leadflow.core.inserts import insert_new
from leadflow.core.personal import seal, unseal
from leadflow.core.worktime import company_zone
from leadflow.notify.delivery import Message, notify

from .assignment import assign_new_lead
from .events import merged_data, timeline_event_record
from .followup import clear_deadlines
from .locks import lock_capture_keys
from .models import Channel, Lead, LeadMerge, LeadStatus
from .numbering import number_prefix, reserve_numbers
from .rules import Rule, active_rules, non_target_reason
from .scope import lead_scope
from .scoring import Scoring, lead_rescore, score_values

# Profile values a later capture may bring; a merge takes the newest non-empty ones.
PROFILE_FIELDS = (
    "name",
    "contact_name",
    "contact_title",
    "mobile",
    "landline",
    "email",
    "industry",
    "need",
    "region",
    "address",
    "employees",
    "annual_revenue",
    "budget",
    "purchase_timeline",
    "current_supplier",
)
TEXT_LIMITS = {
    "name": 200,
    "contact_name": 60,
    "contact_title": 60,
    "industry": 60,
    "need": 2000,
    "region": 100,
    "address": 200,
    "annual_revenue": 60,
    "budget": 60,
    "purchase_timeline": 60,
    "current_supplier": 100,
    "channel_detail": 100,
}
# What a merge records of the survivor, before and after, so it can be undone.
SNAPSHOT_FIELDS = (*PROFILE_FIELDS, "kind", "company_key", "status", "non_target_reason")
REQUIRED = ("name", "industry", "need")
define(
    "leads.privacy_notice_version",
    "privacy-2026-01",
    "str",
    _("Privacy notice version staff confirm when entering a lead"),
    _("Leads"),
)
PRE_ASSIGNMENT = (LeadStatus.TO_VERIFY, LeadStatus.TO_ASSIGN, LeadStatus.NON_TARGET)
FUTURE_TOLERANCE = timedelta(minutes=10)
# No lead is older than the system's idea of one: earlier dates are typing mistakes.
EARLIEST_ACQUIRED = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Consent:
    """How the person agreed (LEAD-CAP-5): a notice version and when, or for imports the
    lawful basis the file states."""

    lawful_basis: str = "consent"
    notice_version: str = ""
    consented_at: datetime | None = None
    channel: str = ""


@dataclass(frozen=True)
class CaptureContext:
    """What cleaning needs from the database, loaded once per capture or per import."""

    channels: dict[str, Channel]  # by code and by name
    campaign_ids: frozenset[int]
    rules: list[Rule]
    zone: ZoneInfo = field(default_factory=company_zone)  # for times given without a zone

    @cached_property  # looked up once per merge during an import
    def channels_by_id(self) -> dict[int, Channel]:
        return {channel.pk: channel for channel in self.channels.values()}

    @classmethod
    def load(cls) -> "CaptureContext":
        # Campaigns belong to marketing, which leads does not import; the foreign key
        # knows the model.
        campaign = Lead._meta.get_field("campaign").related_model
        channels: dict[str, Channel] = {}
        for channel in Channel.objects.filter(active=True):
            channels[channel.code] = channel
            channels[channel.name] = channel
        campaigns = frozenset(
            campaign._default_manager.filter(active=True).values_list("id", flat=True)
        )
        return cls(channels=channels, campaign_ids=campaigns, rules=active_rules())

    @classmethod
    def current(cls) -> "CaptureContext":
        """This process's recent copy (see core.config_cache): single captures use it."""
        return cached_config("leads.capture_context", cls.load)


class MergeRule(StrEnum):
    """How far a capture may change the lead it joins (LEAD-CLN-2, SEC-1)."""

    NEWEST = "newest"  # its newest non-empty values win
    FILL_EMPTY = "fill_empty"  # anonymous, onto an owned lead: only empty fields are filled
    KEEP = "keep"  # the caller may not see the lead: nothing of it changes


@dataclass
class CaptureResult:
    lead: Lead  # the live lead: the new one, or the one the capture merged into
    capture: Lead  # the row this capture made (equal to `lead` unless merged)
    merged: bool = False
    matched_on: list[str] = field(default_factory=list)
    # The capture joined a lead outside the caller's scope: answer without showing it.
    outside_scope: bool = False


KINDS = frozenset(Lead.Kind.values)
# "2026-03-01 10:00", "2026/3/1 10:00:05", "2026-03-01": how spreadsheets write times.
_LOCAL_MOMENT = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    return value.strip() if type(value) is str else str(value).strip()


def _parse_moment(value: Any, zone: ZoneInfo) -> datetime | None:
    """An aware moment; times without a zone are in `zone` (a date alone is 09:00)."""
    moment: datetime | None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(9))
    else:
        moment = _parse_moment_text(str(value).strip(), zone)
        if moment is None:
            return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


@lru_cache(maxsize=65_536)  # a file repeats its times: parsed once each
def _parse_moment_text(text: str, zone: ZoneInfo) -> datetime | None:
    """The moment a text names, in `zone` when it is a plain local time; a text with an
    ISO offset keeps it, and one with none is left naive for `_parse_moment`."""
    if plain := _LOCAL_MOMENT.fullmatch(text):
        year, month, day, hour, minute, second = plain.groups()
        try:
            return datetime(
                int(year),
                int(month),
                int(day),
                int(hour or 9),
                int(minute or 0),
                int(second or 0),
                tzinfo=zone,
            )
        except ValueError:
            return None
    dashed = text.replace("/", "-")
    return parse_datetime(dashed) or (
        datetime.combine(day, time(9)) if (day := parse_date(dashed)) else None
    )


def _parse_count(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip().replace(",", "").removesuffix("人").strip()
        if not text.isdigit():
            raise ValueError(text)
        number = int(text)
    if number < 0 or number > 10_000_000:
        raise ValueError(number)
    return number


def clean_lead(
    raw: Mapping[str, Any], *, context: CaptureContext, now: datetime
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validated, normalised values and {field: reason} for everything refused.

    Pure: the same input gives the same answer on every way in. A reason names the value.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        value = raw.get(name)  # _text, inline: this loop runs a million times an import
        text = "" if value is None else (value if type(value) is str else str(value)).strip()
        if name == "name":
            text = normalize_name(text)
        if len(text) > limit:
            errors[name] = f"longer than {limit} characters"
        elif "\x00" in text:  # a file may hold one; PostgreSQL refuses it (core.storable)
            errors[name] = "contains a NUL character"
        values[name] = text
    for name in REQUIRED:
        if not values[name] and name not in errors:
            errors[name] = "required"

    kind = _text(raw, "kind")
    if kind and kind not in KINDS:
        errors["kind"] = f"{kind!r} is not company or individual"
    values["kind"] = kind if kind in KINDS else guess_kind(values["name"])
    # The name is normalised already: its key is only case-folded (see company_key).
    values["company_key"] = values["name"].casefold() if values["kind"] == "company" else ""

    values["mobile"] = values["landline"] = ""
    for name in ("mobile", "landline"):
        text = _text(raw, name)
        if not text:
            continue
        try:
            phone = normalize_phone(text, field=name)
        except CleaningError as error:
            errors[name] = f"{text!r}: {error.reason}"
            continue
        # A landline typed into the mobile field (or the other way round) is kept where
        # it belongs rather than refused.
        target = "mobile" if phone.kind == "mobile" else "landline"
        if not values[target]:
            values[target] = phone.e164
    email = _text(raw, "email")
    values["email"] = ""
    if email:
        try:
            values["email"] = normalize_email(email)
        except CleaningError as error:
            errors["email"] = f"{email!r}: {error.reason}"
    if not values["mobile"] and not values["email"] and not {"mobile", "email"} & errors.keys():
        errors["mobile"] = "give a mobile number or an email address (at least one)"

    employees = raw.get("employees")
    values["employees"] = None
    if employees not in (None, ""):
        try:
            values["employees"] = _parse_count(employees)
        except ValueError:
            errors["employees"] = f"{employees!r} is not a whole number of people"

    code = _text(raw, "channel")
    channel = context.channels.get(code) or context.channels.get(code.upper())
    if not code:
        errors["channel"] = "required"
    elif channel is None:
        errors["channel"] = f"{code!r} is not an active channel code or name"
    values["channel"] = channel

    campaign = raw.get("campaign_id")
    values["campaign_id"] = None
    if campaign not in (None, ""):
        try:
            campaign_id = int(str(campaign))
        except ValueError:
            campaign_id = -1
        if campaign_id in context.campaign_ids:
            values["campaign_id"] = campaign_id
        else:
            errors["campaign_id"] = f"{campaign!r} is not an active campaign"

    acquired = raw.get("acquired_at")
    if acquired in (None, ""):
        values["acquired_at"] = now
    else:
        moment = _parse_moment(acquired, context.zone)
        if moment is None:
            errors["acquired_at"] = f"{acquired!r} is not a date and time"
        elif moment > now + FUTURE_TOLERANCE:
            errors["acquired_at"] = f"{acquired!r} is in the future"
        elif moment < EARLIEST_ACQUIRED:
            errors["acquired_at"] = f"{acquired!r} is before {EARLIEST_ACQUIRED:%Y-%m-%d}"
        values["acquired_at"] = moment
    return values, errors


def check_consent(consent: Consent, *, via: str) -> dict[str, str]:
    """{field: reason} when the capture lacks consent or a stated lawful basis (LEAD-CAP-5)."""
    if via == "import":
        return (
            {}
            if consent.lawful_basis.strip()
            else {"lawful_basis": "an import must state the lawful basis for the file"}
        )
    if consent.lawful_basis == "consent" and not consent.notice_version.strip():
        reason = "the person's consent is required: give the notice version they agreed to"
        return {"consent": reason}
    return {}


def decide_status(values: Mapping[str, Any], rules: list[Rule]) -> tuple[str, str]:
    """(status, non-target reason) for a lead with these values (LEAD-CLN-3, LEAD-CLN-4)."""
    reason = non_target_reason(rules, values)
    if reason:
        return LeadStatus.NON_TARGET, reason
    channel = values["channel"]
    return (LeadStatus.TO_VERIFY if channel.requires_verification else LeadStatus.TO_ASSIGN), ""


def non_target_fields(rules: list[Rule]) -> tuple[str, ...]:
    """The lead fields `decide_status` reads besides the channel."""
    return tuple(sorted({rule.field for rule in rules}))


# The column each dedupe key is found by: phones and emails are encrypted, so by their
# keyed hashes (SEC-2); the company key is no personal data.
KEY_COLUMNS = {"mobile": "mobile_hash", "email": "email_hash", "company_key": "company_key"}


def dedupe_keys(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (field, value) pairs that make two leads the same (LEAD-CLN-2), as stored in
    KEY_COLUMNS: the mobile and the email by their keyed hashes."""
    keys = []
    if values.get("mobile"):
        keys.append(("mobile", lookup_hash(values["mobile"])))
    if values.get("email"):
        keys.append(("email", lookup_hash(values["email"])))
    if values.get("kind") == "company" and values.get("company_key"):
        keys.append(("company_key", values["company_key"]))
    return keys


def stored_keys(mobile_hash: str, email_hash: str, kind: str, key: str) -> list[tuple[str, str]]:
    """`dedupe_keys` of a stored lead, from its KEY_COLUMNS."""
    keys = [("mobile", mobile_hash)] if mobile_hash else []
    if email_hash:
        keys.append(("email", email_hash))
    if kind == "company" and key:
        keys.append(("company_key", key))
    return keys


def merge_changes(
    survivor: Mapping[str, Any],
    survivor_values_at: datetime,
    capture: Mapping[str, Any],
    capture_at: datetime,
    rule: MergeRule = MergeRule.NEWEST,
) -> dict[str, Any]:
    """The survivor fields a capture changes: its non-empty values when it is at least as
    recent as the survivor's, otherwise only the survivor's empty fields are filled; under
    FILL_EMPTY only empty fields, under KEEP none.
    `survivor` and `capture` hold PROFILE_FIELDS and "kind"."""
    if rule == MergeRule.KEEP:
        return {}
    newer = rule == MergeRule.NEWEST and capture_at >= survivor_values_at
    return {
        name: value
        for name, value in differing_values(survivor, capture).items()
        if newer or survivor.get(name) in (None, "")
    }


def differing_values(survivor: Mapping[str, Any], capture: Mapping[str, Any]) -> dict[str, Any]:
    """The capture's non-empty profile values that differ from the survivor's."""
    differing = {}
    for name in PROFILE_FIELDS:
        if name == "name" and capture.get("kind") != survivor.get("kind"):
            continue  # a person's name never replaces a company's, nor the other way round
        value = capture.get(name)
        if value not in (None, "") and value != survivor.get(name):
            differing[name] = value
    return differing


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
def merge_leads(
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
    changes = merge_changes(before, survivor.values_at, offered, merged.values_at, rule)
    held_back = (
        sorted(differing_values(before, offered).keys() - changes.keys())
        if rule != MergeRule.NEWEST
        else []
    )
    for name, value in changes.items():
        setattr(survivor, name, value)
    if "name" in changes and survivor.kind == "company":
        survivor.company_key = company_key(survivor.name)
    if rule == MergeRule.NEWEST:
        survivor.values_at = max(survivor.values_at, merged.values_at)
    if survivor.status in PRE_ASSIGNMENT:
        survivor.status, survivor.non_target_reason = decide_status(
            {**_snapshot(survivor), "channel": survivor.channel}, active_rules()
        )
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
    timeline_event_record(
        lead=survivor,
        at=now,
        kind="merged",
        by=by,
        data=merged_data(
            merged_number=merged.number, matched_on=reason, changed=changes, to_confirm=held_back
        ),
    )
    lead_rescore(lead=survivor, trigger="merge", by=by, now=now)
    return record


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (value.isoformat() if isinstance(value, datetime) else value)
        for name, value in values.items()
    }


@transaction.atomic
def merge_undo(*, merge: LeadMerge, by) -> Lead:
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
        timeline_event_record(
            lead=lead,
            at=now,
            kind="merge_undone",
            by=by,
            data={"survivor": survivor.number, "merged": merged.number, "restored": restored},
        )
        lead_rescore(lead=lead, trigger="merge_undone", by=by, now=now)
    audit_record(
        actor=by,
        action="lead.merge_undo",
        obj=survivor,
        extra={"merged": merged.number, "restored": restored},
    )
    return merged


def capture_lead(
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
            if lead.status == LeadStatus.TO_ASSIGN:
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
                merge_leads(survivor=survivor, merged=other, reason=reason, by=by, now=now)
        merge_leads(survivor=survivor, merged=lead, reason=reason, by=by, now=now, rule=rule)
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
            fields={"status": f"{lead.number} is {lead.get_status_display()}"},
        )
    now = timezone.now()
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.TO_ASSIGN, updated_at=now)
    lead.status = LeadStatus.TO_ASSIGN
    timeline_event_record(lead=lead, at=now, kind="verified", by=by)
    audit_record(actor=by, action="lead.verify", obj=lead)
    assign_new_lead.enqueue(lead.pk)
    return lead
