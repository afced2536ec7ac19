"""Cleaning (LEAD-CLN-1…4): the pure decisions about a lead, no writes.

Clean and validate what was captured (`clean_lead`), check its consent (`check_consent`),
decide its status (`decide_status`), its dedupe keys (`dedupe_keys`) and what a merge
changes (`merge_outcome`). `capture` makes the single capture's writes from these
decisions, and the bulk import (`leads.bulk`) makes the same decisions over whole chunks
of rows, so a rule lives here once. Nothing here writes; `CaptureContext.load` is the
one read, done once per capture or per import.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext

from leadflow.core.cleaning import (
    CleaningError,
    company_key,
    guess_kind,
    normalize_email,
    normalize_name,
    normalize_phone,
)
from leadflow.core.config_cache import cached_config
from leadflow.core.crypto import lookup_hash
from leadflow.core.worktime import company_zone

from .models import Channel, Lead, LeadStatus
from .non_target import NonTargetCondition, active_rules, non_target_reason

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
    rules: list[NonTargetCondition]
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
        campaigns = frozenset(  # only a campaign that has started (MKT-2)
            campaign._default_manager.filter(
                state__in=getattr(campaign, "ATTRIBUTABLE", ())
            ).values_list("id", flat=True)
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
            errors[name] = gettext("longer than %(limit)d characters") % {"limit": limit}
        elif "\x00" in text:  # a file may hold one; PostgreSQL refuses it (core.storable)
            errors[name] = gettext("contains a NUL character")
        values[name] = text
    for name in REQUIRED:
        if not values[name] and name not in errors:
            errors[name] = gettext("required")

    kind = _text(raw, "kind")
    if kind and kind not in KINDS:
        errors["kind"] = gettext("%(value)r is not company or individual") % {"value": kind}
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
        errors["mobile"] = gettext("give a mobile number or an email address (at least one)")

    employees = raw.get("employees")
    values["employees"] = None
    if employees not in (None, ""):
        try:
            values["employees"] = _parse_count(employees)
        except ValueError:
            errors["employees"] = gettext("%(value)r is not a whole number of people") % {
                "value": employees
            }

    code = _text(raw, "channel")
    channel = context.channels.get(code) or context.channels.get(code.upper())
    if not code:
        errors["channel"] = gettext("required")
    elif channel is None:
        errors["channel"] = gettext("%(value)r is not an active channel code or name") % {
            "value": code
        }
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
            errors["campaign_id"] = gettext("%(value)r is not a campaign that has started") % {
                "value": campaign
            }

    acquired = raw.get("acquired_at")
    if acquired in (None, ""):
        values["acquired_at"] = now
    else:
        moment = _parse_moment(acquired, context.zone)
        if moment is None:
            errors["acquired_at"] = gettext("%(value)r is not a date and time") % {
                "value": acquired
            }
        elif moment > now + FUTURE_TOLERANCE:
            errors["acquired_at"] = gettext("%(value)r is in the future") % {
                "value": _as_typed(acquired)
            }
        elif moment < EARLIEST_ACQUIRED:
            errors["acquired_at"] = gettext("%(value)r is before %(earliest)s") % {
                "value": _as_typed(acquired),
                "earliest": f"{EARLIEST_ACQUIRED:%Y-%m-%d}",
            }
        values["acquired_at"] = moment
    return values, errors


def _as_typed(value: Any) -> str:
    """A value as the sender wrote it, for a reason: text as is, a parsed moment as ISO."""
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


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


def decide_status(values: Mapping[str, Any], rules: list[NonTargetCondition]) -> tuple[str, str]:
    """(status, non-target reason) for a lead with these values (LEAD-CLN-3, LEAD-CLN-4)."""
    reason = non_target_reason(rules, values)
    if reason:
        return LeadStatus.NON_TARGET, reason
    channel = values["channel"]
    return (LeadStatus.TO_VERIFY if channel.requires_verification else LeadStatus.TO_ASSIGN), ""


def non_target_fields(rules: list[NonTargetCondition]) -> tuple[str, ...]:
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


@dataclass(frozen=True)
class MergeOutcome:
    """What folding a capture into a survivor changes."""

    changes: dict[str, Any]  # survivor fields to set: profile values, company_key, status …
    values_at: datetime  # how recent the survivor's values now are
    held_back: list[str]  # profile values the rule kept out, for the owner to confirm

    @property
    def changed(self) -> list[str]:
        """The profile values it changes, as its "merged" event names them."""
        return sorted(name for name in self.changes if name in PROFILE_FIELDS)


def merge_outcome(
    survivor: Mapping[str, Any],
    survivor_values_at: datetime,
    capture: Mapping[str, Any],
    capture_at: datetime,
    *,
    channel: Channel,
    rules: list[NonTargetCondition],
    rule: MergeRule = MergeRule.NEWEST,
) -> MergeOutcome:
    """The single capture's merge and the import's both decide here. `survivor` holds
    SNAPSHOT_FIELDS, `capture` PROFILE_FIELDS and "kind"; `channel` is the survivor's.
    A survivor not yet assigned has its status decided again on its new values."""
    profile = merge_changes(survivor, survivor_values_at, capture, capture_at, rule)
    changes = dict(profile)
    if "name" in profile and survivor["kind"] == "company":
        changes["company_key"] = company_key(profile["name"])
    if survivor["status"] in PRE_ASSIGNMENT:
        status, reason = decide_status({**survivor, **changes, "channel": channel}, rules)
        changes.update(status=str(status), non_target_reason=reason)
    newest = rule == MergeRule.NEWEST
    held_back = (
        [] if newest else sorted(differing_values(survivor, capture).keys() - profile.keys())
    )
    return MergeOutcome(
        changes=changes,
        values_at=max(survivor_values_at, capture_at) if newest else survivor_values_at,
        held_back=held_back,
    )
