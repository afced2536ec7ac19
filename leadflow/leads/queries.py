"""Reads of leads, always through the viewer's data scope (SEC-1)."""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.core.cleaning import CleaningError, normalize_email, normalize_phone
from leadflow.core.crypto import lookup_hash
from leadflow.customers.confidentiality import sees_whole
from leadflow.customers.queries import customer_for

from .followup import due_window
from .models import FollowUp, FollowUpLapse, Lead, LeadStatus
from .scope import lead_scope

_NUMBER = re.compile(r"[A-Za-z]\d{4,}")
POOL_SOON = "pool_soon"  # 待进入公海: accepted leads warned that they go back to the pool


def leads_visible_to(user) -> QuerySet[Lead]:
    """Live leads (merged captures excluded) the user may see."""
    leads = Lead.objects.exclude(status=LeadStatus.MERGED)
    return leads.filter(lead_scope(user)).select_related("channel", "owner")


def lead_for(user, lead_id: int) -> Lead | None:
    """One lead, live or merged, if the user may see it."""
    leads = Lead.objects.select_related("channel", "owner", "merged_into")
    return leads.filter(lead_scope(user), pk=lead_id).first()


def search_filter(text: str) -> Q:
    """What a search box means: a lead number, a phone, an email, or part of a name."""
    text = text.strip()
    if _NUMBER.fullmatch(text):
        return Q(number__startswith=text.upper())
    # Phones and emails are encrypted (SEC-2): found whole, by their keyed hashes.
    if "@" in text:
        try:
            return Q(email_hash=lookup_hash(normalize_email(text)))
        except CleaningError:
            return Q(email_hash=lookup_hash(text.lower()))
    if sum(ch.isdigit() for ch in text) >= 7:
        try:
            phone = lookup_hash(normalize_phone(text).e164)
        except CleaningError:
            return Q(pk__in=[])  # part of a number finds nothing: only whole ones are kept
        return Q(mobile_hash=phone) | Q(landline_hash=phone)
    return Q(name__icontains=text) | Q(contact_name__icontains=text)


@dataclass(frozen=True)
class LeadFilters:
    q: str = ""
    status: str = ""
    channel: str = ""
    owner_id: int | None = None
    kind: str = ""
    stage: str = ""
    grade: str = ""
    since: datetime | None = None  # acquired at or after


def filtered_leads(user, filters: LeadFilters) -> QuerySet[Lead]:
    leads = leads_visible_to(user)
    if filters.q:
        leads = leads.filter(search_filter(filters.q))
    if filters.status == POOL_SOON:
        leads = leads.filter(status=LeadStatus.ACCEPTED, pool_warned=True)
    elif filters.status:
        leads = leads.filter(status=filters.status)
    if filters.channel:
        leads = leads.filter(channel__code=filters.channel)
    if filters.owner_id:
        leads = leads.filter(owner_id=filters.owner_id)
    if filters.kind:
        leads = leads.filter(kind=filters.kind)
    if filters.stage:
        leads = leads.filter(status=LeadStatus.ACCEPTED, stage=filters.stage)
    if filters.grade:
        leads = leads.filter(grade=filters.grade)
    if filters.since is not None:
        leads = leads.filter(acquired_at__gte=filters.since)
    return leads


def lead_sources(lead: Lead) -> QuerySet[Lead]:
    """Every capture of this lead: itself and the captures merged into it, oldest first."""
    return (
        Lead.objects.filter(Q(pk=lead.pk) | Q(merged_into=lead))
        .select_related("channel")
        .order_by("acquired_at", "id")
    )


def lead_timeline(lead: Lead, *, just_captured: bool = False) -> list[dict]:
    """Captures and events in time order, for the lead page and the API. A lead captured
    in this very transaction (`just_captured`, not merged) has no other source or event
    yet: its timeline needs no query."""
    sources = [lead] if just_captured else lead_sources(lead)
    entries = [
        {
            "at": source.created_at,
            "kind": "captured",
            "actor": None,
            "data": {
                "number": source.number,
                "channel": source.channel.name,
                "channel_detail": source.channel_detail,
                "via": source.captured_via,
                "acquired_at": source.acquired_at.isoformat(),
            },
        }
        for source in sources
    ]
    if not just_captured:
        for event in lead.events.select_related("actor"):
            entries.append(
                {
                    "at": event.at,
                    "kind": event.kind,
                    "actor": str(event.actor) if event.actor else None,
                    "data": event.data,
                }
            )
    return sorted(entries, key=lambda entry: entry["at"])


def due_leads(user, when: str, *, now=None) -> QuerySet[Lead]:
    """Accepted leads the user may see whose next follow-up deadline falls in the window
    ("overdue", "today", "week"), soonest first (LEAD-FUP-3: the rep's lists, the
    manager's team view through the same scope)."""
    start, until = due_window(when, now or timezone.now())
    leads = leads_visible_to(user).filter(
        status=LeadStatus.ACCEPTED, next_due_at__isnull=False, next_due_at__lt=until
    )
    if start is not None:
        leads = leads.filter(next_due_at__gte=start)
    return leads.select_related("channel", "owner").order_by("next_due_at")


def converted_leads(user, customer_id: int) -> tuple[QuerySet[Lead], bool] | None:
    """The leads won into a customer, oldest first, to whoever may see the customer (the
    customer's history includes leads another rep worked), and whether they see its
    personal data whole; None when they may not see it."""
    customer = customer_for(user, customer_id)
    if customer is None:
        return None
    leads = (
        Lead.objects.filter(customer_id=customer_id)
        .select_related("channel", "owner")
        .order_by("created_at", "id")
    )
    return leads, sees_whole(user, customer)


@dataclass(frozen=True)
class RepRecord:
    """One rep's follow-up record over a period (跟进监督, LEAD-FUP-3)."""

    rep: User
    first_contact_lapses: int
    followup_lapses: int
    escalated: int
    followups: int
    late_entries: int


def supervision(leads: QuerySet[Lead], since: datetime) -> list[RepRecord]:
    """Lapses and follow-ups per rep since `since`, over the leads given (the viewer's data
    scope), reps with the most lapses first."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    lapses = FollowUpLapse.objects.filter(lead__in=leads, due_at__gte=since)
    for rep_id, kind, escalated in lapses.values_list("rep_id", "kind", "escalated_at"):
        counts[rep_id][kind] += 1
        counts[rep_id]["escalated"] += escalated is not None
    records = FollowUp.objects.filter(lead__in=leads, contact_at__gte=since)
    for rep_id, late in records.values_list("by_id", "late"):
        counts[rep_id]["followups"] += 1
        counts[rep_id]["late"] += late
    reps = User.objects.in_bulk(counts)
    rows = [
        RepRecord(
            rep=reps[rep_id],
            first_contact_lapses=c[FollowUpLapse.Kind.FIRST_CONTACT],
            followup_lapses=c[FollowUpLapse.Kind.FOLLOW_UP],
            escalated=c["escalated"],
            followups=c["followups"],
            late_entries=c["late"],
        )
        for rep_id, c in counts.items()
        if rep_id in reps
    ]
    return sorted(rows, key=lambda r: (-(r.first_contact_lapses + r.followup_lapses), str(r.rep)))


def campaign_leads(campaign_ids: list[int]) -> QuerySet[Lead]:
    """The live leads attributed to these campaigns, for their evaluation (MKT-2): a
    campaign's figures are the campaign's, whoever owns each lead."""
    return Lead.objects.filter(campaign_id__in=campaign_ids).exclude(status=LeadStatus.MERGED)
