"""Cursor (keyset) paging: stays fast on the millionth row, unlike OFFSET."""

import base64
import json
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from .errors import ValidationFailed

MAX_LIMIT = 200


def _encode(values: list[Any]) -> str:
    plain = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, *, datetime_key: bool) -> tuple[Any, Any]:
    """(last key, last id) from a cursor this API handed out, or ValidationFailed."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != 2:
            raise ValueError("wrong shape")
        last_key, last_id = values
        return (datetime.fromisoformat(last_key) if datetime_key else last_key), last_id
    except (TypeError, ValueError) as error:
        raise ValidationFailed(
            gettext("The cursor is not valid; start again without it."),
            fields={"cursor": gettext("not a cursor from this API")},
        ) from error


def cursor_page(
    queryset: QuerySet, *, cursor: str | None, limit: int, key: str = "id", descending: bool = True
) -> tuple[list, str | None]:
    """One page ordered by (`key`, id), and the cursor of the next page (None at the end).

    `key` must be a column whose value never changes for a row (a creation time, an id).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            gettext("limit must be between 1 and %(most)d.") % {"most": MAX_LIMIT},
            fields={"limit": gettext("%(value)s is out of range") % {"value": limit}},
        )
    sign = "-" if descending else ""
    queryset = queryset.order_by(f"{sign}{key}", f"{sign}id")
    if cursor:
        datetime_key = queryset.model._meta.get_field(key).get_internal_type() == "DateTimeField"
        last_key, last_id = _decode(cursor, datetime_key=datetime_key)
        op = "lt" if descending else "gt"
        queryset = queryset.filter(
            Q(**{f"{key}__{op}": last_key}) | Q(**{key: last_key, f"id__{op}": last_id})
        )
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, _encode([getattr(last, key), last.pk])


def page_for_request(
    queryset: QuerySet, request, *, limit: int = 50, sort: str = "-id"
) -> tuple[list, str | None]:
    """A list page's rows by the `cursor` in the query string, ordered by `sort` ("-id":
    newest first; "score": lowest first, then by id); a cursor that is no longer valid (an
    old link) shows the first page instead of an error."""
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    try:
        return cursor_page(
            queryset,
            cursor=request.GET.get("cursor"),
            limit=limit,
            key=key,
            descending=descending,
        )
    except ValidationFailed:
        return cursor_page(queryset, cursor=None, limit=limit, key=key, descending=descending)
