"""Personal data as a reader may see it (SEC-2): phones, emails and addresses of leads and
customers, masked for whoever may not see them whole.

The one place that masks: the UI, the API and exports render a record's values, and the
old and new values in its history, through `shown`, so a field is never whole in one
and masked in another.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.db import models

from .audit import audit_record


def mask_phone(value: str) -> str:
    """+8613800138000 → +86138****8000."""
    return f"{value[:-8]}****{value[-4:]}" if len(value) >= 8 else ("****" if value else "")


def mask_email(value: str) -> str:
    local, _at, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else ("***" if value else "")


def mask_address(value: str) -> str:
    """The first few characters (the province and city, as Chinese addresses start), then
    ****: 上海市浦东新区张江路88号 → 上海市浦东****."""
    return f"{value[: min(5, len(value) // 2)]}****" if value else ""


# Every field name that holds personal data, wherever it appears (a record, an event's
# old and new values), and how it is masked.
PERSONAL: dict[str, Callable[[str], str]] = {
    "mobile": mask_phone,
    "landline": mask_phone,
    "email": mask_email,
    "address": mask_address,
}


def shown(values: Mapping[str, Any], *, whole: bool) -> dict[str, Any]:
    """`values` as this reader may see them: unchanged when `whole`, else every personal
    field masked, in nested values too (an event's {"fields": {"address": [old, new]}})."""
    if whole:
        return dict(values)
    return {name: _masked(name, value) for name, value in values.items()}


def _masked(name: str, value: Any) -> Any:
    mask = PERSONAL.get(name)
    if isinstance(value, Mapping):
        return {key: _masked(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(name, item) for item in value]
    if mask is not None and isinstance(value, str):
        return mask(value)
    return value


def personal_data_viewed(*, user, obj: models.Model) -> None:
    """Audit (SEC-3) that `user` was shown this record's personal data whole."""
    audit_record(actor=user, action=f"{obj._meta.model_name}.view", obj=obj)


def personal_list_viewed(*, user, object_type: str, shown_whole: int) -> None:
    """Audit (SEC-3) a list that showed `shown_whole` records' personal data whole."""
    if shown_whole:
        audit_record(
            actor=user,
            action=f"{object_type.rpartition('.')[2]}.list_view",
            object_type=object_type,
            extra={"rows": shown_whole},
        )
