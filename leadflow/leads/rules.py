"""Non-target rules (LEAD-CLN-3) as a pure decision over a lead's values."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .models import NonTargetRule


@dataclass(frozen=True)
class Rule:
    field: str
    match: str
    value: str
    reason: str


def active_rules() -> list[Rule]:
    return [
        Rule(r.field, r.match, r.value, r.reason)
        for r in NonTargetRule.objects.filter(active=True).order_by("id")
    ]


def non_target_reason(rules: Iterable[Rule], values: Mapping[str, object]) -> str:
    """The reason of the first rule that matches, or "" for a target lead."""
    for rule in rules:
        text = str(values.get(rule.field) or "").strip()
        if not text:
            continue
        if rule.match == NonTargetRule.Match.EQUALS and text == rule.value:
            return rule.reason
        if rule.match == NonTargetRule.Match.CONTAINS and rule.value in text:
            return rule.reason
    return ""
