"""Company settings: the numbers a policy leaves open ([X] in the seeds), as data.

Each business area declares its settings with `define(...)` at import time, with the
spec's default. A `Setting` row exists only once an administrator changes a value, so a
new default shipped in a release reaches every company that never touched it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from typing import TYPE_CHECKING, Any

from django.db import transaction

from .audit import audit_record
from .config_cache import cached_config, forget_config
from .errors import ValidationFailed
from .models import Setting

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class SettingDef:
    key: str
    default: Any
    kind: str  # int | bool | str | text | time | choice
    label: "StrOrPromise"
    group: "StrOrPromise"
    help: "StrOrPromise" = ""
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[tuple[str, "StrOrPromise"], ...] = field(default=())


REGISTRY: dict[str, SettingDef] = {}
# Checks over several settings at once: each gets the values as they would be after the
# change and returns {key: reason} for what it refuses.
CHECKS: list[Callable[[dict[str, Any]], dict[str, str]]] = []


def define(key: str, default: Any, kind: str, label, group, **options) -> SettingDef:
    definition = SettingDef(
        key=key, default=default, kind=kind, label=label, group=group, **options
    )
    REGISTRY[key] = definition
    return definition


_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_value(definition: SettingDef, raw: Any) -> Any:
    """The typed value for `raw` (form text or JSON), or ValidationFailed naming the key."""

    def fail(reason: str):
        raise ValidationFailed(
            f"{definition.key}: {reason}", fields={definition.key: reason}, code="invalid_setting"
        )

    kind = definition.kind
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "on", "yes"):
            return True
        if text in ("0", "false", "off", "no", ""):
            return False
        fail(f"not a yes/no value: {raw!r}")
    if kind == "int":
        try:
            number = int(str(raw).strip())
        except ValueError:
            fail(f"not a whole number: {raw!r}")
        if definition.minimum is not None and number < definition.minimum:
            fail(f"must be at least {definition.minimum}")
        if definition.maximum is not None and number > definition.maximum:
            fail(f"must be at most {definition.maximum}")
        return number
    text = str(raw).strip()
    if kind == "time":
        if not _TIME.match(text):
            fail(f"not a time of day HH:MM: {raw!r}")
        return text
    if kind == "choice" and text not in {value for value, _ in definition.choices}:
        fail(f"not one of {', '.join(value for value, _ in definition.choices)}: {raw!r}")
    if kind in ("str", "choice") and not text and definition.default != "":
        fail("must not be empty")  # a setting whose default is empty is optional
    return text


def _stored() -> dict[str, Any]:
    return dict(Setting.objects.values_list("key", "value"))


def get_setting(key: str) -> Any:
    definition = REGISTRY[key]
    return cached_config("settings", _stored).get(key, definition.default)


def get_settings(prefix: str = "", *, fresh: bool = False) -> dict[str, Any]:
    """Every setting under `prefix`, read at once; `fresh` skips this process's copy."""
    stored = _stored() if fresh else cached_config("settings", _stored)
    return {
        key: stored.get(key, definition.default)
        for key, definition in REGISTRY.items()
        if key.startswith(prefix)
    }


def get_time_setting(key: str) -> time:
    hours, minutes = get_setting(key).split(":")
    return time(int(hours), int(minutes))


@transaction.atomic
def settings_update(*, changes: dict[str, Any], by) -> dict[str, Any]:
    """Validate every value first, then write them all; one bad value changes nothing."""
    unknown = [key for key in changes if key not in REGISTRY]
    if unknown:
        raise ValidationFailed(
            f"unknown setting: {', '.join(unknown)}",
            fields=dict.fromkeys(unknown, "unknown setting"),
            code="unknown_setting",
        )
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, raw in changes.items():
        try:
            parsed[key] = parse_value(REGISTRY[key], raw)
        except ValidationFailed as error:
            errors.update(error.fields)
    current = get_settings(fresh=True)
    if not errors:
        for check in CHECKS:
            errors.update(check(current | parsed))
    if errors:
        raise ValidationFailed("some settings are not valid", fields=errors, code="invalid_setting")
    changed = {key: [current[key], value] for key, value in parsed.items() if current[key] != value}
    for key, (_, value) in changed.items():
        Setting.objects.update_or_create(key=key, defaults={"value": value, "updated_by": by})
    forget_config()
    if changed:
        audit_record(
            actor=by,
            action="settings.update",
            object_type="settings",
            object_repr="company settings",
            changes=changed,
        )
    return changed
