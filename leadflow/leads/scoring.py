"""Scoring and grading (LEAD-SCR-1…4): rules as data, every change explained.

A lead's score is a pure function of its values, the events recorded on it and the active
rules: `contributions` says which rule gave how many points, `score_of` adds them up
(plainly, or weighted by dimension when the company uses the weighted model), `grade_of`
turns the score into A/B/C with the thresholds in the settings. Capture, merge, import
and recorded events all use these functions; `lead_rescore` stores a changed score with a
timeline event naming the rules and the event that moved it.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from leadflow.core.audit import audit_record, changed_fields, snapshot
from leadflow.core.company_settings import CHECKS, define, get_settings
from leadflow.core.config_cache import cached_config, forget_config
from leadflow.core.errors import ValidationFailed
from leadflow.core.storable import check_storable

from .events import activity_recorded, lead_scored, leads_scored, priority_set, scored_data
from .models import Lead, LeadEvent, LeadStatus, Priority, ScoreRule

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

EVENTS = frozenset(ScoreRule.Event.values)
_EQUALS, _ONE_OF, _CONTAINS, _AT_LEAST = (
    str(ScoreRule.Operator.EQUALS),
    str(ScoreRule.Operator.ONE_OF),
    str(ScoreRule.Operator.CONTAINS),
    str(ScoreRule.Operator.AT_LEAST),
)  # what `lead_event_record` accepts
PRIORITY_BY_GRADE = {"A": Priority.HIGH.value, "B": Priority.MEDIUM.value, "C": Priority.LOW.value}


@dataclass(frozen=True)
class CompiledScoreRule:
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
    # Worked out once from `value`: a rule is applied a million times in an import.
    options: frozenset[str] = frozenset()  # one_of
    threshold: float | None = None  # at_least

    @classmethod
    def of(cls, rule: ScoreRule) -> "CompiledScoreRule":
        threshold = None
        if rule.operator == _AT_LEAST:
            try:
                threshold = float(rule.value)
            except ValueError:
                threshold = None
        return cls(
            rule.pk or 0,
            rule.name,
            str(rule.dimension),
            str(rule.field),
            str(rule.operator),
            rule.value.strip(),
            str(rule.event),
            rule.min_count,
            rule.points,
            rule.repeatable,
            frozenset(item.strip() for item in rule.value.replace("，", ",").split(",")),
            threshold,
        )


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

    rules: tuple[CompiledScoreRule, ...]
    grade_a_min: int = 30
    grade_b_min: int = 15
    weights: Mapping[str, int] | None = None  # per dimension, in %, when weighted

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The lead fields the rules read: with no events recorded, the score depends on
        these alone."""
        return tuple(sorted({rule.field for rule in self.rules if rule.field}))

    @classmethod
    def load(cls) -> "Scoring":
        values = get_settings("scoring.")
        rules = tuple(CompiledScoreRule.of(rule) for rule in ScoreRule.objects.filter(active=True))
        weights = (
            {name: values[f"scoring.weight_{name}"] for name in DIMENSIONS}
            if values["scoring.weighted"]
            else None
        )
        return cls(rules, values["scoring.grade_a_min"], values["scoring.grade_b_min"], weights)

    @classmethod
    def current(cls) -> "Scoring":
        return cached_config("leads.scoring", cls.load)


def _field_matches(rule: CompiledScoreRule, value: Any) -> bool:
    if value is None or value == "":
        return False
    operator = rule.operator
    if operator == _AT_LEAST:
        if rule.threshold is None:
            return False
        try:
            return float(value) >= rule.threshold
        except ValueError:
            return False
    text = value.strip() if type(value) is str else str(value).strip()
    if operator == _EQUALS:
        return text == rule.value
    if operator == _ONE_OF:
        return text in rule.options
    if operator == _CONTAINS:
        return bool(rule.value) and rule.value in text
    return False


def _counted(
    scoring: Scoring, values: Mapping[str, Any], event_counts: Mapping[str, int]
) -> Iterator[tuple[CompiledScoreRule, int]]:
    """(rule, how many times it counts) for every active rule that applies."""
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
            yield rule, times


def contributions(
    scoring: Scoring, values: Mapping[str, Any], event_counts: Mapping[str, int]
) -> list[Contribution]:
    """Which active rule gives this lead how many points (LEAD-SCR-4: explained)."""
    return [
        Contribution(rule.id, rule.name, rule.dimension, rule.points * times, times)
        for rule, times in _counted(scoring, values, event_counts)
    ]


def score_of(scoring: Scoring, points: Iterable[tuple[str, int]]) -> int:
    """The score from (dimension, points) pairs: the plain sum, or with weights each
    dimension's points × its weight × the number of dimensions / 100, so equal weights
    give the plain sum."""
    if not scoring.weights:
        return sum(value for _, value in points)
    share = len(DIMENSIONS) / 100
    weights = scoring.weights
    return round(sum(value * weights.get(dimension, 0) * share for dimension, value in points))


def _points(found: list[Contribution]) -> Iterator[tuple[str, int]]:
    return ((item.dimension, item.points) for item in found)


def grade_of(scoring: Scoring, score: int) -> str:
    if score >= scoring.grade_a_min:
        return "A"
    return "B" if score >= scoring.grade_b_min else "C"


def score_values(
    scoring: Scoring, values: Mapping[str, Any], event_counts: Mapping[str, int] | None = None
) -> tuple[int, str, str]:
    """(score, grade, the priority that follows the grade) for a lead's values."""
    counted = _counted(scoring, values, event_counts or {})
    score = score_of(scoring, ((rule.dimension, rule.points * times) for rule, times in counted))
    grade = grade_of(scoring, score)
    return score, grade, PRIORITY_BY_GRADE[grade]


def scored_rules(
    scoring: Scoring, values: Mapping[str, Any], event_counts: Mapping[str, int]
) -> tuple[int, str, str, dict[str, int]]:
    """`score_values` and the points each rule gives, for a "scored" event's payload."""
    found = contributions(scoring, values, event_counts)
    score = score_of(scoring, _points(found))
    grade = grade_of(scoring, score)
    return score, grade, PRIORITY_BY_GRADE[grade], {item.rule: item.points for item in found}


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
    score = score_of(scoring, _points(found))
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
    lead_scored(
        lead,
        by=by,
        at=now,
        trigger=trigger,
        score=[lead.score, score],
        grade=[lead.grade, grade],
        rules=rules,
        changes=changes,
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
            fields={
                "kind": gettext("%(value)r is not one of %(allowed)s")
                % {"value": kind, "allowed": ", ".join(sorted(EVENTS))}
            },
        )
    activity_recorded(lead, kind=kind, data=data, by=by)
    return lead_rescore(lead=lead, trigger=kind, by=by)


@transaction.atomic
def lead_priority_set(*, lead: Lead, priority: str, reason: str, by) -> Lead:
    """A person sets the priority with a reason; an empty priority makes it follow the
    grade again (LEAD-SCR-3)."""
    reason = reason.strip()
    if priority and priority not in Priority.values:
        raise ValidationFailed(
            gettext("Unknown priority."),
            fields={
                "priority": gettext("%(value)r is not one of %(allowed)s")
                % {"value": priority, "allowed": ", ".join(Priority.values)}
            },
        )
    if priority and not reason:
        raise ValidationFailed(
            gettext("Say why the priority differs from the grade."),
            fields={"reason": gettext("required when setting a priority")},
        )
    before = lead.priority
    if priority:
        check_storable(Lead, {"priority_reason": reason})  # written with update()
        lead.priority, lead.priority_reason = priority, reason
    else:
        lead.priority, lead.priority_reason = PRIORITY_BY_GRADE.get(lead.grade, ""), ""
    now = timezone.now()
    Lead.objects.filter(pk=lead.pk).update(
        priority=lead.priority, priority_reason=lead.priority_reason, updated_at=now
    )
    priority_set(
        lead, before=before, after=lead.priority, reason=lead.priority_reason, by=by, at=now
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


# ------------------------------------------------------------------ editing the rules


def score_rule_problems(rule: ScoreRule) -> dict[str, str]:
    """{field: reason} for a rule that cannot work: a field rule needs field, operator and
    value; an event rule an event; never both."""
    problems = {}
    if rule.event and (rule.field or rule.operator):
        problems["event"] = gettext("a rule counts either a field or an event, not both")
    elif rule.event:
        if rule.event not in EVENTS:
            problems["event"] = gettext("%(value)r is not a known event") % {"value": rule.event}
    else:
        for name in ("field", "operator", "value"):
            if not str(getattr(rule, name)).strip():
                problems[name] = gettext("required for a field rule (or choose an event)")
        if rule.operator == ScoreRule.Operator.AT_LEAST:
            try:
                float(rule.value)
            except ValueError:
                problems["value"] = gettext("%(value)r is not a number") % {"value": rule.value}
    return problems


def _with_rule(scoring: Scoring, rule: ScoreRule) -> Scoring:
    """The scoring as it would be with `rule` added, changed or switched off."""
    others = tuple(item for item in scoring.rules if item.id != rule.pk)
    if not rule.active:
        return Scoring(others, scoring.grade_a_min, scoring.grade_b_min, scoring.weights)
    proposed = CompiledScoreRule.of(rule)
    return Scoring((*others, proposed), scoring.grade_a_min, scoring.grade_b_min, scoring.weights)


RESCORE_BATCH = 2000


def _live_leads_in_batches():
    """Live leads with what scoring needs, id order, a batch at a time."""
    fields = ["id", "score", "grade", "priority", "priority_reason", *ScoreRule.Field.values]
    last = 0
    while True:
        batch = list(
            Lead.objects.exclude(status=LeadStatus.MERGED)
            .filter(id__gt=last)
            .order_by("id")
            .values(*fields)[:RESCORE_BATCH]
        )
        if not batch:
            return
        yield batch, event_counts([row["id"] for row in batch])
        last = batch[-1]["id"]


def score_rule_preview(rule: ScoreRule) -> dict[str, int]:
    """How many live leads the change would move between grades: {"B→A": n, …}."""
    problems = score_rule_problems(rule)
    if problems:
        raise ValidationFailed(gettext("The rule cannot be saved."), fields=problems)
    proposed = _with_rule(Scoring.load(), rule)
    moves: dict[str, int] = {}
    for batch, counts in _live_leads_in_batches():
        for row in batch:
            _, grade, _ = score_values(proposed, row, counts.get(row["id"], {}))
            if grade != row["grade"]:
                key = f"{row['grade'] or '—'}→{grade}"
                moves[key] = moves.get(key, 0) + 1
    return dict(sorted(moves.items()))


@transaction.atomic
def score_rule_save(*, rule: ScoreRule, by) -> ScoreRule:
    """Store a new or changed rule and re-score every live lead in the background."""
    problems = score_rule_problems(rule)
    if problems:
        raise ValidationFailed(gettext("The rule cannot be saved."), fields=problems)
    created = rule.pk is None
    stored = ScoreRule.objects.filter(pk=rule.pk).first() if rule.pk else None
    before = snapshot(stored, RULE_FIELDS) if stored else {}
    rule.save()
    forget_config()
    # Each version of a rule stays in the audit trail, so a past score can be explained.
    audit_record(
        actor=by,
        action="scorerule.create" if created else "scorerule.update",
        obj=rule,
        changes=changed_fields(before, snapshot(rule, RULE_FIELDS)),
    )
    rescore_all_leads.enqueue(trigger="rules")
    return rule


RULE_FIELDS = [
    "name",
    "dimension",
    "field",
    "operator",
    "value",
    "event",
    "min_count",
    "points",
    "repeatable",
    "active",
]


@task()
def rescore_all_leads(trigger: str = "rules") -> dict[str, int]:
    """Score every live lead with the rules of now; each change is a `scored` event."""
    scoring = Scoring.load()
    changed = 0
    for batch, counts in _live_leads_in_batches():
        now = timezone.now()
        updates, events = [], []
        for row in batch:
            score, grade, priority, rules = scored_rules(scoring, row, counts.get(row["id"], {}))
            priority = row["priority"] if row["priority_reason"] else priority
            if (score, grade, priority) == (row["score"], row["grade"], row["priority"]):
                continue
            updates.append(
                Lead(pk=row["id"], score=score, grade=grade, priority=priority, updated_at=now)
            )
            data = scored_data(
                trigger=trigger,
                score=[row["score"], score],
                grade=[row["grade"], grade],
                rules=rules,
            )
            events.append((row["id"], data))
        with transaction.atomic():
            Lead.objects.bulk_update(updates, ["score", "grade", "priority", "updated_at"])
            leads_scored(events, at=now)
        changed += len(updates)
    return {"changed": changed}
