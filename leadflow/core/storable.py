"""Text the databases cannot store alike is refused before it reaches them (SEC-5).

SQLite stores a NUL character, a lone surrogate and a value longer than its column;
PostgreSQL refuses all three with an error that names no field. So every way in refuses
them first, the same on both, naming the field: API bodies (`unstorable_text` through the
API's parser), the public form, and every model save (`refuse_unstorable`, connected to
`pre_save` for leadflow's own models).
"""

import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from django.db import models
from django.utils.translation import gettext

from .errors import ValidationFailed

_SURROGATE = re.compile("[\ud800-\udfff]")


def text_problem(text: str) -> str:
    """Why this text cannot be stored, or ""."""
    if "\x00" in text:
        return gettext("contains a NUL character")
    if not text.isascii() and _SURROGATE.search(text):
        return gettext("contains an invalid character (a lone UTF-16 surrogate)")
    return ""


def unstorable_text(value: Any, path: str = "") -> dict[str, str]:
    """{dotted path: reason} for every string (keys included) in a JSON-like value that
    cannot be stored."""
    return dict(_problems(value, path))


def _problems(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if problem := text_problem(value):
            yield path or "request", problem
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and (problem := text_problem(key)):
                yield where, problem
            else:
                yield from _problems(item, where)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _problems(item, f"{path}.{index}" if path else str(index))


@cache
def _checked_fields(model: type[models.Model]) -> dict[str, tuple[str, int | None, bool]]:
    """{field name: (attribute, max length, is JSON)} of the fields a save must check."""
    checked = {}
    for field in model._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField):
            limit = field.max_length if isinstance(field, models.CharField) else None
            checked[field.name] = (field.attname, limit, False)
        elif isinstance(field, models.JSONField):
            checked[field.name] = (field.attname, None, True)
    return checked


def unstorable_fields(model: type[models.Model], values: Mapping[str, Any]) -> dict[str, str]:
    """{field: reason} for the values (by field name) that `model` cannot store alike on
    SQLite and PostgreSQL: NUL characters, lone surrogates, text longer than its column."""
    errors: dict[str, str] = {}
    checked = _checked_fields(model)
    for name, value in values.items():
        if name not in checked or not value:
            continue
        _, limit, is_json = checked[name]
        if is_json:
            if problems := unstorable_text(value):
                errors[name] = next(iter(problems.values()))
        elif type(value) is str:
            if problem := text_problem(value):
                errors[name] = problem
            elif limit is not None and len(value) > limit:
                errors[name] = gettext("longer than %(limit)d characters") % {"limit": limit}
    return errors


def check_storable(model: type[models.Model], values: Mapping[str, Any]) -> None:
    """ValidationFailed naming each value `model` cannot store; for writes made with
    `QuerySet.update`, which no pre_save sees."""
    if errors := unstorable_fields(model, values):
        raise ValidationFailed(
            gettext("Some values cannot be stored: please correct the marked fields."),
            fields=errors,
        )


def refuse_unstorable(sender: type[models.Model], instance: models.Model, raw=False, **kwargs):
    """pre_save: `check_storable` on every text and JSON field of leadflow's own models."""
    if raw or not sender.__module__.startswith("leadflow."):
        return
    checked = _checked_fields(sender)
    check_storable(
        sender, {name: getattr(instance, attname) for name, (attname, _, _) in checked.items()}
    )
