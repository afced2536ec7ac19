"""Non-target rules (LEAD-CLN-3) as a pure decision over a lead's values: the active
NonTargetRule rows loaded once as plain NonTargetConditions."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .models import NonTargetRule


@dataclass(frozen=True)
class NonTargetCondition:
    field: str
    match: str
    value: str
    reason: str


def active_rules() -> list[NonTargetCondition]:
    # Plain strings, not the model's choices: the importer asks a million times.
    return [
        NonTargetCondition(str(r.field), str(r.match), r.value, r.reason)
        for r in NonTargetRule.objects.filter(active=True).order_by("id")
    ]


_EQUALS = str(NonTargetRule.Match.EQUALS)
_CONTAINS = str(NonTargetRule.Match.CONTAINS)


def non_target_reason(rules: Iterable[NonTargetCondition], values: Mapping[str, object]) -> str:
    """The reason of the first rule that matches, or "" for a target lead."""
    for rule in rules:
        value = values.get(rule.field)
        if not value:
            continue
        text = value.strip() if type(value) is str else str(value).strip()
        if rule.match == _EQUALS and text == rule.value:
            return rule.reason
        if rule.match == _CONTAINS and rule.value in text:
            return rule.reason
    return ""
