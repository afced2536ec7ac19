"""Personal data (SEC-2): phones, emails and addresses of leads and customers.

At rest their columns are encrypted (core.crypto), and so are their values inside a
record's history (JSON: an event's old and new values, a merge's snapshots): `seal` before
storing such JSON, `unseal` after reading it.

For a reader, the one place that masks: the UI, the API and exports render a record's
values, and the old and new values in its history, through `shown`, so a field is never
whole in one and masked in another.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any

from django.db import models

from .audit import audit_record
from .crypto import decrypt, encrypt


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


SEALED = "enc:"  # the mark of an encrypted value inside JSON


def seal(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` (JSON-like) with every personal field's text encrypted, nested ones too.
    (Written for speed: an import seals two snapshots of every lead it merges.)"""
    sealed = dict(values)
    for name, value in values.items():
        if type(value) is str:
            if name in PERSONAL:
                sealed[name] = _seal_text(value)
        elif isinstance(value, Mapping | list | tuple):
            sealed[name] = _sealed(name, value)
    return sealed


def _sealed(name: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        return seal(value)
    if isinstance(value, list | tuple):
        return [_sealed(name, item) for item in value]
    return _seal_text(value) if name in PERSONAL and isinstance(value, str) else value


def _seal_text(text: str) -> str:
    """A personal field's text encrypted, once (an empty or already sealed one as it is)."""
    return SEALED + encrypt(text) if text and not text.startswith(SEALED) else text


def unseal(value: Any) -> Any:
    """A JSON-like value with every sealed text decrypted."""
    if isinstance(value, Mapping):
        return {name: unseal(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [unseal(item) for item in value]
    if isinstance(value, str) and value.startswith(SEALED):
        return decrypt(value.removeprefix(SEALED))
    return value


def shown(values: Mapping[str, Any], *, whole: bool) -> dict[str, Any]:
    """`values` as this reader may see them, sealed history opened: whole when `whole`,
    else every personal field masked, in nested values too (an event's
    {"fields": {"address": [old, new]}})."""
    opened: dict[str, Any] = unseal(values)
    if whole:
        return opened
    return {name: _masked(name, value) for name, value in opened.items()}


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


def seal_row(raw: Mapping[str, Any]) -> str:
    """A refused import row as the file had it, encrypted: it holds phones and emails."""
    return encrypt(json.dumps({k: v for k, v in raw.items() if v not in (None, "")}, default=str))


def opened_row(sealed: str, label: Callable[[str], str]) -> str:
    """The refused row for its error report, each column by `label`: 字段=值；…"""
    if not sealed:
        return ""
    return "；".join(f"{label(key)}={value}" for key, value in json.loads(decrypt(sealed)).items())
