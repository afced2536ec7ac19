"""Scoring and grading (LEAD-SCR-1…4): rules as data, every change explained.

A lead's score is a pure function of its values, the events recorded on it and the active
rules: `contributions` says which rule gave how many points, `score_of` adds them up
(plainly, or weighted by dimension when the company uses the weighted model), `grade_of`
turns the score into A/B/C with the thresholds in the settings. Capture, merge, import
and recorded events all use these functions; `lead_rescore` stores a changed score with a
timeline event naming the rules and the event that moved it.
"""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.core.audit import audit_record
from leadflow.core.company_settings import CHECKS, define, get_settings
from leadflow.core.config_cache import cached_config
from leadflow.core.errors import ValidationFailed

from .models import Lead, LeadEvent, Priority, ScoreRule

GROUP = _("Lead scoring")
define("scoring.grade_a_min", 30, "int", _("Grade A from score"), GROUP, minimum=1)
define("scoring.grade_b_min", 15, "int", _("Grade B from score"), GROUP, minimum=0)
define(
    "scoring.weighted",
    False,
    "bool",
    _("Weight the score by dimension"),
    GROUP,
    help=_("With equal weights the weighted score equals the plain sum."),
)
define("scoring.weight_fit", 30, "int", _("Weight of company fit (%)"), GROUP, minimum=0)
define("scoring.weight_behaviour", 25, "int", _("Weight of behaviour (%)"), GROUP, minimum=0)
define("scoring.weight_interaction", 45, "int", _("Weight of interaction (%)"), GROUP, minimum=0)
DIMENSIONS = tuple(ScoreRule.Dimension.values)


def _check_scoring(values: dict[str, Any]) -> dict[str, str]:
    errors = {}
    if values["scoring.grade_a_min"] <= values["scoring.grade_b_min"]:
        errors["scoring.grade_a_min"] = "grade A must start above grade B"
    weights = sum(values[f"scoring.weight_{name}"] for name in DIMENSIONS)
    if values["scoring.weighted"] and weights != 100:
        errors["scoring.weight_fit"] = f"the weights add up to {weights}, not 100"
    return errors


CHECKS.append(_check_scoring)

EVENTS = frozenset(ScoreRule.Event.values)  # what `lead_event_record` accepts
PRIORITY_BY_GRADE = {"A": Priority.HIGH.value, "B": Priority.MEDIUM.value, "C": Priority.LOW.value}


@dataclass(frozen=True)
class Rule:
    id: int
    name: str
    dimension: str
    field: str
    operator: str
    value: str
    event: str
    min_count: int
    points: int
    repeatable: bool


@dataclass(frozen=True)
class Contribution:
    rule_id: int
    rule: str
    dimension: str
    points: int  # already multiplied by `times`
    times: int


@dataclass(frozen=True)
class Scoring:
    """The active rules, thresholds and weights, loaded once per capture or import."""

    rules: tuple[Rule, ...]
    grade_a_min: int = 30
    grade_b_min: int = 15
    weights: Mapping[str, int] | None = None  # per dimension, in %, when weighted

    @classmethod
    def load(cls) -> "Scoring":
        values = get_settings("scoring.")
        rules = tuple(
            Rule(
                r.pk,
                r.name,
                str(r.dimension),
                str(r.field),
                str(r.operator),
                r.value,
                str(r.event),
                r.min_count,
                r.points,
                r.repeatable,
            )
            for r in ScoreRule.objects.filter(active=True)
        )
        weights = (
            {name: values[f"scoring.weight_{name}"] for name in DIMENSIONS}
            if values["scoring.weighted"]
            else None
        )
        return cls(rules, values["scoring.grade_a_min"], values["scoring.grade_b_min"], weights)

    @classmethod
    def current(cls) -> "Scoring":
        return cached_config("leads.scoring", cls.load)


def _field_matches(rule: Rule, value: Any) -> bool:
    if value in (None, ""):
        return False
    if rule.operator == ScoreRule.Operator.AT_LEAST:
        try:
            return float(value) >= float(rule.value)
        except ValueError:
            return False
    text = str(value).strip()
    if rule.operator == ScoreRule.Operator.EQUALS:
        return text == rule.value.strip()
    if rule.operator == ScoreRule.Operator.ONE_OF:
        return text in {item.strip() for item in rule.value.replace("，", ",").split(",")}
    if rule.operator == ScoreRule.Operator.CONTAINS:
        return bool(rule.value) and rule.value in text
    return False


def contributions(
    scoring: Scoring, values: Mapping[str, Any], event_counts: Mapping[str, int]
) -> list[Contribution]:
    """Which active rule gives this lead how many points (LEAD-SCR-4: explained)."""
    found = []
    for rule in scoring.rules:
        if rule.event:
            count = event_counts.get(rule.event, 0)
            # A non-repeatable rule counts once per lead, however often the event recurs.
            times = (
                count // max(rule.min_count, 1) if rule.repeatable else int(count >= rule.min_count)
            )
        else:
            times = int(_field_matches(rule, values.get(rule.field)))
        if times:
            found.append(
                Contribution(rule.id, rule.name, rule.dimension, rule.points * times, times)
            )
    return found


def score_of(scoring: Scoring, found: list[Contribution]) -> int:
    """The plain sum, or with weights: each dimension's points × its weight × the number
    of dimensions / 100, so equal weights give the plain sum."""
    if not scoring.weights:
        return sum(item.points for item in found)
    share = len(DIMENSIONS) / 100
    return round(
        sum(item.points * scoring.weights.get(item.dimension, 0) * share for item in found)
    )


def grade_of(scoring: Scoring, score: int) -> str:
    if score >= scoring.grade_a_min:
        return "A"
    return "B" if score >= scoring.grade_b_min else "C"


def score_values(
    scoring: Scoring, values: Mapping[str, Any], event_counts: Mapping[str, int] | None = None
) -> tuple[int, str, str]:
    """(score, grade, the priority that follows the grade) for a lead's values."""
    score = score_of(scoring, contributions(scoring, values, event_counts or {}))
    grade = grade_of(scoring, score)
    return score, grade, PRIORITY_BY_GRADE[grade]


def event_counts(lead_ids: list[int]) -> dict[int, dict[str, int]]:
    """{lead id: {event kind: times}} for the scoring events recorded on these leads."""
    counts: dict[int, dict[str, int]] = {}
    rows = (
        LeadEvent.objects.filter(lead_id__in=lead_ids, kind__in=EVENTS)
        .values_list("lead_id", "kind")
        .annotate(times=Count("id"))
        .order_by()
    )
    for lead_id, kind, times in rows:
        counts.setdefault(lead_id, {})[kind] = times
    return counts


def lead_breakdown(lead: Lead) -> list[Contribution]:
    """The rules that make up the lead's score now, for its page and the API."""
    return _contributions_now(Scoring.current(), lead)


def _contributions_now(scoring: Scoring, lead: Lead) -> list[Contribution]:
    counts = event_counts([lead.pk]).get(lead.pk, {})
    return contributions(scoring, lead_score_values(lead), counts)


def lead_score_values(lead: Lead) -> dict[str, Any]:
    """The lead's values that field rules look at."""
    return {name.value: getattr(lead, name.value) for name in ScoreRule.Field}


@transaction.atomic
def lead_rescore(*, lead: Lead, trigger: str, by=None, now: datetime | None = None) -> Lead:
    """Score the lead afresh; a change is stored with a `scored` event that names what
    triggered it (an event kind, "merge", "rules"), the rules it is now made of and which
    of them changed since the last score."""
    now = now or timezone.now()
    scoring = Scoring.current()
    found = _contributions_now(scoring, lead)
    score = score_of(scoring, found)
    grade = grade_of(scoring, score)
    priority = lead.priority if lead.priority_reason else PRIORITY_BY_GRADE[grade]
    if (score, grade, priority) == (lead.score, lead.grade, lead.priority):
        return lead
    rules = {item.rule: item.points for item in found}
    before = _last_rules(lead, scoring)
    changes = [
        {"rule": name, "points": rules.get(name, 0) - before.get(name, 0)}
        for name in [*rules, *(name for name in before if name not in rules)]
        if rules.get(name, 0) != before.get(name, 0)
    ]
    LeadEvent.objects.create(
        lead=lead,
        at=now,
        kind="scored",
        actor=by,
        data={
            "trigger": trigger,
            "score": [lead.score, score],
            "grade": [lead.grade, grade],
            "rules": rules,
            "changes": changes,
        },
    )
    Lead.objects.filter(pk=lead.pk).update(
        score=score, grade=grade, priority=priority, updated_at=now
    )
    lead.score, lead.grade, lead.priority = score, grade, priority
    return lead


def _last_rules(lead: Lead, scoring: Scoring) -> dict[str, int]:
    """{rule: points} as of the last score: its event, or the capture (values only)."""
    last = (
        LeadEvent.objects.filter(lead=lead, kind="scored")
        .order_by("-at", "-id")
        .values_list("data", flat=True)
        .first()
    )
    if last and "rules" in last:
        return dict(last["rules"])
    return {item.rule: item.points for item in contributions(scoring, lead_score_values(lead), {})}


@transaction.atomic
def lead_event_record(*, lead: Lead, kind: str, by=None, data: dict | None = None) -> Lead:
    """Record something the person did (downloaded material, asked at a webinar …) on the
    lead's timeline and re-score it at once (LEAD-SCR-4)."""
    if kind not in EVENTS:
        raise ValidationFailed(
            gettext("Unknown event."),
            fields={"kind": f"{kind!r} is not one of {', '.join(sorted(EVENTS))}"},
        )
    LeadEvent.objects.create(lead=lead, at=timezone.now(), kind=kind, actor=by, data=data or {})
    return lead_rescore(lead=lead, trigger=kind, by=by)


@transaction.atomic
def lead_priority_set(*, lead: Lead, priority: str, reason: str, by) -> Lead:
    """A person sets the priority with a reason; an empty priority makes it follow the
    grade again (LEAD-SCR-3)."""
    reason = reason.strip()
    if priority and priority not in Priority.values:
        raise ValidationFailed(
            gettext("Unknown priority."),
            fields={"priority": f"{priority!r} is not one of {', '.join(Priority.values)}"},
        )
    if priority and not reason:
        raise ValidationFailed(
            gettext("Say why the priority differs from the grade."),
            fields={"reason": "required when setting a priority"},
        )
    before = lead.priority
    if priority:
        lead.priority, lead.priority_reason = priority, reason[:200]
    else:
        lead.priority, lead.priority_reason = PRIORITY_BY_GRADE.get(lead.grade, ""), ""
    now = timezone.now()
    Lead.objects.filter(pk=lead.pk).update(
        priority=lead.priority, priority_reason=lead.priority_reason, updated_at=now
    )
    LeadEvent.objects.create(
        lead=lead,
        at=now,
        kind="priority_set",
        actor=by,
        data={"priority": [before, lead.priority], "reason": lead.priority_reason},
    )
    audit_record(
        actor=by,
        action="lead.priority",
        obj=lead,
        changes={"priority": [before, lead.priority]},
        extra={"reason": lead.priority_reason},
    )
    return lead


def contribution_dicts(found: list[Contribution]) -> list[dict[str, Any]]:
    return [asdict(item) for item in found]
