"""Assignment (LEAD-ASN-1…7): who gets a lead, accept or decline, and what happens when
nobody accepts in time.

`rank_reps` is pure: among the reps who are available and under capacity, the highest
weighted match of region, industry and priority wins (weights are settings, 40/30/30 by
default); ties go to the rep who received the fewest leads in the rolling window, then to
the one who waited longest since their last lead, so equal reps share equal leads.
Every change of owner is a LeadAssignment row and a timeline event; the rep is told
through `notify` with the number, customer, contact, need and the accept deadline.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from leadflow.accounts.models import User
from leadflow.accounts.org import manager_of
from leadflow.core.audit import audit_record
from leadflow.core.company_settings import CHECKS, define, get_settings
from leadflow.core.errors import Conflict, ValidationFailed
from leadflow.core.sweeps import sweep
from leadflow.notify.delivery import Message, notify

from .events import (
    lead_accepted,
    lead_assigned,
    lead_declined,
    lead_nurtured,
)
from .followup import clear_deadlines, start_deadlines
from .models import (
    Lead,
    LeadAssignment,
    LeadStatus,
    RepProfile,
    Stage,
    TeamProfile,
)
from .permissions import LEADS_CLAIM

GROUP = _("Lead assignment")
define("assign.weight_region", 40, "int", _("Weight of region (%)"), GROUP, minimum=0)
define("assign.weight_industry", 30, "int", _("Weight of industry (%)"), GROUP, minimum=0)
define("assign.weight_priority", 30, "int", _("Weight of priority (%)"), GROUP, minimum=0)
define("assign.accept_hours", 24, "int", _("Hours a rep has to accept a lead"), GROUP, minimum=1)
define("assign.decline_hours", 2, "int", _("Hours a rep may decline a lead"), GROUP, minimum=0)
define(
    "assign.self_sourced",
    True,
    "bool",
    _("A rep who enters a lead by hand owns it (自拓)"),
    GROUP,
)
define("assign.window_days", 30, "int", _("Fairness window for new leads (days)"), GROUP, minimum=1)
define(
    "assign.nurture_grade_c",
    False,
    "bool",
    _("Grade C leads go to the nurture pool, not to a rep"),
    GROUP,
)
define(
    "assign.mask_contact",
    False,
    "bool",
    _("Mask the contact's phone in assignment notices"),
    GROUP,
)
WEIGHTS = ("region", "industry", "priority")


def _check_weights(values: dict[str, Any]) -> dict[str, str]:
    total = sum(values[f"assign.weight_{name}"] for name in WEIGHTS)
    return {} if total == 100 else {"assign.weight_region": f"the weights add up to {total}"}


CHECKS.append(_check_weights)
# The leads that count against a rep's capacity: waiting for them, or accepted and not yet
# won, lost or found invalid (a paused lead is still theirs to come back to).
OPEN = Q(status=LeadStatus.ASSIGNED) | (
    Q(status=LeadStatus.ACCEPTED) & ~Q(stage__in=(Stage.WON, Stage.LOST, Stage.INVALID))
)


def open_leads_of(user: User) -> int:
    return Lead.objects.filter(OPEN, owner=user).count()


@dataclass
class Candidate:
    """A rep as the ranking sees them, with their load now."""

    rep_id: int
    regions: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    capacity: int = 50
    available: bool = True
    open_leads: int = 0
    received: int = 0  # in the fairness window
    last_assigned: datetime | None = None
    name: str = ""


@dataclass(frozen=True)
class Weights:
    region: int = 40
    industry: int = 30
    priority: int = 30


@dataclass(frozen=True)
class Choice:
    candidate: Candidate
    match: dict[str, int] = field(default_factory=dict)  # {"region": 40, …, "total": 70}


def _items(text: str) -> frozenset[str]:
    return frozenset(item.strip() for item in text.replace("，", ",").split(",") if item.strip())


def match_of(weights: Weights, lead: dict[str, Any], candidate: Candidate) -> dict[str, int]:
    region = str(lead.get("region") or "")
    parts = {
        "region": weights.region if any(r in region for r in candidate.regions) else 0,
        "industry": weights.industry
        if str(lead.get("industry") or "").strip() in candidate.industries
        else 0,
        "priority": weights.priority if lead.get("priority") in candidate.priorities else 0,
    }
    return {**parts, "total": sum(parts.values())}


def why_not(candidate: Candidate, excluded: frozenset[int]) -> str:
    """Why this rep cannot take a lead now, or "" when they can."""
    if candidate.rep_id in excluded:
        return "declined"
    if not candidate.available:
        return "unavailable"
    if candidate.open_leads >= candidate.capacity:
        return "at_capacity"
    return ""


def rank_reps(
    weights: Weights,
    lead: dict[str, Any],
    candidates: list[Candidate],
    excluded: frozenset[int] = frozenset(),
) -> list[Choice]:
    """The eligible reps, best first (LEAD-ASN-1, -2)."""
    never = datetime.min.replace(tzinfo=timezone.get_current_timezone())
    eligible = [c for c in candidates if not why_not(c, excluded)]
    choices = [Choice(c, match_of(weights, lead, c)) for c in eligible]
    choices.sort(
        key=lambda choice: (
            -choice.match["total"],
            choice.candidate.received,
            choice.candidate.last_assigned or never,
            choice.candidate.rep_id,
        )
    )
    return choices


def waiting_reason(candidates: list[Candidate], excluded: frozenset[int]) -> str:
    """Why nobody can take the lead, as people read it in 待分配."""
    if not candidates:
        return gettext("No sales rep has an assignment profile yet.")
    reasons = [why_not(c, excluded) for c in candidates]
    return gettext(
        "No rep can take it: %(unavailable)d unavailable, %(full)d at capacity, "
        "%(declined)d declined."
    ) % {
        "unavailable": reasons.count("unavailable"),
        "full": reasons.count("at_capacity"),
        "declined": reasons.count("declined"),
    }


def _count_per_rep(queryset, rep_field: str) -> Subquery:
    """How many rows of `queryset` (filtered to one rep) there are, as a subquery."""
    return Subquery(queryset.order_by().values(rep_field).annotate(n=Count("id")).values("n")[:1])


def load_candidates(now: datetime, window_days: int) -> list[Candidate]:
    """Every active rep with a profile, with their open leads, leads received in the
    window and last assignment, in one query: a subquery per rep reads only that rep's
    rows (by the owner and rep/time indexes), so the cost does not grow with history.
    A rep takes their team's regions, industries and priorities where their own profile
    leaves them empty."""
    since = now - timedelta(days=window_days)
    rep = OuterRef("user_id")
    profiles = (
        RepProfile.objects.select_related("user")
        .filter(user__is_active=True)
        .annotate(
            open_leads=_count_per_rep(Lead.objects.filter(OPEN, owner=rep), "owner"),
            received=_count_per_rep(LeadAssignment.objects.filter(rep=rep, at__gte=since), "rep"),
            last_assigned=Subquery(
                LeadAssignment.objects.filter(rep=rep).order_by("-at").values("at")[:1]
            ),
        )
    )
    teams = {team.team_id: team for team in TeamProfile.objects.all()}
    candidates = []
    for profile in profiles:
        team = teams.get(profile.user.team_id) if profile.user.team_id else None
        candidates.append(
            Candidate(
                rep_id=profile.user_id,
                regions=_takes(profile, team, "regions"),
                industries=_takes(profile, team, "industries"),
                priorities=_takes(profile, team, "priorities"),
                capacity=profile.capacity,
                available=profile.available,
                open_leads=profile.open_leads or 0,
                received=profile.received or 0,
                last_assigned=profile.last_assigned,
                name=str(profile.user),
            )
        )
    return candidates


def _takes(profile: RepProfile, team: TeamProfile | None, name: str) -> frozenset[str]:
    """The rep's own list, or their team's when theirs is empty."""
    own = getattr(profile, name)
    return _items(own or (getattr(team, name) if team is not None else ""))


@dataclass
class Assigner:
    """The settings and the reps' loads for a run of assignments (one lead, or a sweep's
    batch): each assignment updates the loads in memory, so the next one is fair too."""

    now: datetime
    weights: Weights
    accept_hours: int
    nurture_grade_c: bool
    mask_contact: bool
    candidates: list[Candidate]

    @classmethod
    def load(cls, now: datetime | None = None) -> "Assigner":
        now = now or timezone.now()
        values = get_settings("assign.")
        return cls(
            now=now,
            weights=Weights(*(values[f"assign.weight_{name}"] for name in WEIGHTS)),
            accept_hours=values["assign.accept_hours"],
            nurture_grade_c=values["assign.nurture_grade_c"],
            mask_contact=values["assign.mask_contact"],
            candidates=load_candidates(now, values["assign.window_days"]),
        )

    def has_room(self) -> bool:
        return any(not why_not(c, frozenset()) for c in self.candidates)

    def assign(
        self,
        lead: Lead,
        *,
        kind: str = LeadAssignment.Kind.AUTO,
        reason: str = "",
        by=None,
        previous: User | None = None,
    ) -> User | None:
        """Give the lead to the best eligible rep, or leave it waiting with the reason.
        `previous`: the rep it was released from, for the ownership log."""
        if self.nurture_grade_c and lead.grade == "C" and kind == LeadAssignment.Kind.AUTO:
            _set(lead, status=LeadStatus.NURTURE, waiting_reason="", updated_at=self.now)
            lead_nurtured(lead, by=by, at=self.now)
            return None
        excluded = _declined_by(lead)
        values = {"region": lead.region, "industry": lead.industry, "priority": lead.priority}
        ranked = rank_reps(self.weights, values, self.candidates, excluded)
        if not ranked:
            text = waiting_reason(self.candidates, excluded)
            _set(lead, status=LeadStatus.TO_ASSIGN, owner=None, waiting_reason=text[:200])
            return None
        choice = ranked[0]
        rep = User.objects.get(pk=choice.candidate.rep_id)
        self.give(lead, rep, kind=kind, reason=reason, by=by, match=choice.match, previous=previous)
        return rep

    def give(
        self,
        lead: Lead,
        rep: User,
        *,
        kind: str,
        reason: str,
        by,
        match: dict,
        previous: User | None = None,
    ) -> None:
        previous_id = previous.pk if previous is not None else lead.owner_id
        if lead.status == LeadStatus.ACCEPTED:
            clear_deadlines([lead.pk])  # the new rep's start with their acceptance
        accept_by = self.now + timedelta(hours=self.accept_hours)
        _set(
            lead,
            owner=rep,
            status=LeadStatus.ASSIGNED,
            assigned_at=self.now,
            accept_by=accept_by,
            accepted_at=None,
            waiting_reason="",
            updated_at=self.now,
        )
        LeadAssignment.objects.create(
            lead=lead,
            rep=rep,
            previous_id=previous_id,
            kind=kind,
            reason=reason,
            match=match,
            by=by,
            at=self.now,
        )
        lead_assigned(lead, rep=rep, how=kind, reason=reason, match=match, by=by, at=self.now)
        for candidate in self.candidates:
            if candidate.rep_id == rep.pk:
                candidate.open_leads += 1
                candidate.received += 1
                candidate.last_assigned = self.now
            elif candidate.rep_id == previous:
                candidate.open_leads = max(0, candidate.open_leads - 1)
        notify(rep, self._notice(lead, accept_by))

    def _notice(self, lead: Lead, accept_by: datetime) -> Message:
        phone = lead.mobile or lead.landline
        if self.mask_contact and len(phone) >= 8:
            phone = f"{phone[:-8]}****{phone[-4:]}"
        deadline = timezone.localtime(accept_by).strftime("%Y-%m-%d %H:%M")
        return Message(
            title=gettext("New lead %(number)s to accept") % {"number": lead.number},
            body=gettext(
                "%(customer)s · %(contact)s %(phone)s · need: %(need)s · accept by %(deadline)s"
            )
            % {
                "customer": lead.name,
                "contact": lead.contact_name,
                "phone": phone,
                "need": lead.need[:100],
                "deadline": deadline,
            },
            url=f"/leads/{lead.pk}/",
            level="warning" if lead.priority == "high" else "info",
        )


def _set(lead: Lead, **values) -> None:
    """Change these fields on the object and in the database, nothing else."""
    for name, value in values.items():
        setattr(lead, name, value)
    Lead.objects.filter(pk=lead.pk).update(**values)


def _declined_by(lead: Lead) -> frozenset[int]:
    """Reps who declined this lead, asked to give it away or let it time out: it never
    goes back to them automatically."""
    return frozenset(
        LeadAssignment.objects.filter(lead=lead)
        .filter(Q(declined_at__isnull=False) | Q(decline_reason__gt=""))
        .values_list("rep_id", flat=True)
    )


# ------------------------------------------------------------------ services


@task()
def assign_new_lead(lead_id: int) -> dict[str, Any]:
    """Assign a lead captured a moment ago (queued in the capture's transaction)."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None or lead.status != LeadStatus.TO_ASSIGN or lead.owner_id:
            return {"skipped": True}
        rep = Assigner.load().assign(lead)
    return {"rep": rep.pk if rep else None}


SWEEP_LIMIT = 1000  # leads one sweep assigns at most; the next minute goes on


@sweep("leads.assign")
def assign_waiting_leads(now: datetime) -> dict[str, Any]:
    """Assign leads waiting in 待分配 (imports, or nobody had room before), grade A first,
    as far as the reps' capacity goes; then time out leads not accepted in time."""
    timed_out = escalate_unaccepted(now)
    assigner = Assigner.load(now)
    assigned = tried = 0
    for grade in ("A", "B", "C", ""):
        last = 0
        while assigner.has_room() and tried < SWEEP_LIMIT:
            with transaction.atomic():
                batch = list(
                    Lead.objects.filter(
                        status=LeadStatus.TO_ASSIGN, owner__isnull=True, grade=grade, id__gt=last
                    ).order_by("id")[:200]
                )
                for lead in batch:
                    if not assigner.has_room() or tried >= SWEEP_LIMIT:
                        break
                    tried += 1
                    assigned += assigner.assign(lead) is not None
                    last = lead.pk
            if len(batch) < 200:
                break
    if not assigner.has_room():
        # Nobody has room: say so on the waiting leads once, not every minute.
        reason = waiting_reason(assigner.candidates, frozenset())[:200]
        Lead.objects.filter(
            status=LeadStatus.TO_ASSIGN, owner__isnull=True, waiting_reason=""
        ).update(waiting_reason=reason)
    return {"assigned": assigned, "timed_out": timed_out}


def escalate_unaccepted(now: datetime) -> int:
    """Leads not accepted by their deadline: the rep's manager is told and the lead goes to
    the next best rep (LEAD-ASN-5)."""
    overdue = list(
        Lead.objects.filter(status=LeadStatus.ASSIGNED, accept_by__lt=now).select_related("owner")
    )
    if not overdue:
        return 0
    assigner = Assigner.load(now)
    for lead in overdue:
        with transaction.atomic():
            rep = lead.owner
            LeadAssignment.objects.filter(lead=lead, rep=rep, accepted_at__isnull=True).update(
                decline_reason=gettext("not accepted in time")
            )
            manager = manager_of(rep)
            if manager is not None:
                notify(
                    manager,
                    Message(
                        title=gettext("%(rep)s did not accept lead %(number)s in time")
                        % {"rep": rep, "number": lead.number},
                        body=lead.name,
                        url=f"/leads/{lead.pk}/",
                        level="warning",
                    ),
                )
            release_lead(assigner, lead, rep)
            assigner.assign(lead, kind=LeadAssignment.Kind.TIMEOUT, previous=rep)
    return len(overdue)


def release_lead(assigner: Assigner, lead: Lead, rep: User | None) -> None:
    for candidate in assigner.candidates:
        if rep is not None and candidate.rep_id == rep.pk:
            candidate.open_leads = max(0, candidate.open_leads - 1)
    _set(lead, owner=None, status=LeadStatus.TO_ASSIGN, accept_by=None)


@transaction.atomic
def lead_accept(*, lead: Lead, by: User) -> Lead:
    """The owner accepts the lead (LEAD-ASN-5)."""
    if lead.owner_id != by.pk or lead.status != LeadStatus.ASSIGNED:
        raise Conflict(
            gettext("Only the rep a lead is waiting for can accept it."),
            fields={"status": lead.status_words()},
        )
    now = timezone.now()
    _set(
        lead,
        status=LeadStatus.ACCEPTED,
        accepted_at=now,
        updated_at=now,
        # A lead handed on keeps the stage it reached; a new one starts at 初步接触.
        stage=lead.stage or Stage.INITIAL,
        stage_changed_at=lead.stage_changed_at if lead.stage else now,
        furthest_stage=lead.furthest_stage or Stage.INITIAL,
    )
    start_deadlines(lead, now)  # the first-contact deadline starts now (LEAD-FUP-1)
    LeadAssignment.objects.filter(lead=lead, rep=by, accepted_at__isnull=True).update(
        accepted_at=now
    )
    lead_accepted(lead, by=by, at=now)
    return lead


@transaction.atomic
def lead_decline(*, lead: Lead, by: User, reason: str) -> Lead:
    """The owner declines within the decline window, with a reason; the lead goes to the
    next best rep, never back to anyone who declined it (LEAD-ASN-5)."""
    reason = reason.strip()
    if lead.owner_id != by.pk or lead.status != LeadStatus.ASSIGNED:
        raise Conflict(
            gettext("Only the rep a lead is waiting for can decline it."),
            fields={"status": lead.status_words()},
        )
    if not reason:
        raise ValidationFailed(
            gettext("Say why you cannot follow this lead."), fields={"reason": "required"}
        )
    now = timezone.now()
    hours = get_settings("assign.")["assign.decline_hours"]
    if lead.assigned_at and now > lead.assigned_at + timedelta(hours=hours):
        raise Conflict(
            gettext("The time to decline has passed: ask marketing to reassign it instead."),
            fields={"assigned_at": gettext("more than %(hours)s h ago") % {"hours": hours}},
        )
    LeadAssignment.objects.filter(lead=lead, rep=by, declined_at__isnull=True).update(
        declined_at=now, decline_reason=reason[:200]
    )
    lead_declined(lead, reason=reason, by=by, at=now)
    assigner = Assigner.load(now)
    release_lead(assigner, lead, by)
    assigner.assign(lead, kind=LeadAssignment.Kind.DECLINED, reason=reason, previous=by)
    return lead


@transaction.atomic
def lead_assign_manual(*, lead: Lead, rep: User, reason: str, by: User) -> Lead:
    """A manager gives the lead to a rep, always with a reason (LEAD-ASN-3)."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            gettext("Give the reason for this assignment."), fields={"reason": "required"}
        )
    if (
        lead.status in (LeadStatus.MERGED, LeadStatus.NON_TARGET, LeadStatus.TO_VERIFY)
        or lead.stage == Stage.WON
    ):
        raise Conflict(
            gettext("This lead cannot be assigned."),
            fields={"status": lead.status_words()},
        )
    if not rep.is_active:
        raise ValidationFailed(gettext("Choose an active user."), fields={"rep": str(rep)})
    assigner = Assigner.load()
    assigner.give(lead, rep, kind=LeadAssignment.Kind.MANUAL, reason=reason, by=by, match={})
    audit_record(
        actor=by, action="lead.assign", obj=lead, extra={"rep": str(rep), "reason": reason}
    )
    return lead


def keeps_own_entry(by, via: str) -> bool:
    """Whether a lead entered by hand stays with the rep who entered it (自拓, a setting):
    only people who work leads themselves, only in the web app."""
    return (
        via == "ui"
        and by is not None
        and by.has_permission(LEADS_CLAIM)
        and get_settings("assign.")["assign.self_sourced"]
    )


def lead_keep_own(*, lead: Lead, by: User) -> Lead:
    """The rep who found the lead owns it, accepted at once, with the follow-up deadlines
    of an accepted lead; the ownership log says it was self-sourced."""
    assigner = Assigner.load()
    assigner.give(
        lead,
        by,
        kind=LeadAssignment.Kind.SELF,
        reason=gettext("self-sourced (自拓)"),
        by=by,
        match={},
    )
    return lead_accept(lead=lead, by=by)


@transaction.atomic
def rep_profile_save(*, profile: RepProfile, by: User) -> RepProfile:
    """Store what a rep takes (regions, industries, priorities, capacity, availability)."""
    _check_priorities(profile.priorities)
    created = profile.pk is None
    profile.save()
    audit_record(
        actor=by,
        action="repprofile.create" if created else "repprofile.update",
        obj=profile,
        extra={"capacity": profile.capacity, "available": profile.available},
    )
    return profile


@transaction.atomic
def team_profile_save(*, profile: TeamProfile, by: User) -> TeamProfile:
    """Store what a team takes; its reps follow it where their own profile is empty."""
    _check_priorities(profile.priorities)
    created = profile.pk is None
    profile.save()
    audit_record(
        actor=by, action="teamprofile.create" if created else "teamprofile.update", obj=profile
    )
    return profile


def _check_priorities(text: str) -> None:
    unknown = _items(text) - {"high", "medium", "low"}
    if unknown:
        raise ValidationFailed(
            gettext("Priorities are high, medium and low."),
            fields={
                "priorities": gettext("unknown: %(values)s")
                % {"values": ", ".join(sorted(unknown))}
            },
        )
