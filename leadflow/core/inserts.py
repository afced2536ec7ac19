"""One new row, stored with a statement built once per model.

`Model.objects.create` builds its INSERT anew on every call; on a capture that happens
hundreds of times a second that costs more than the insert itself. `insert_new` runs the
same steps (each field's pre_save and database preparation, then INSERT … RETURNING the
id) with the statement built once per model and database.
"""

from functools import cache
from typing import TypeVar

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin

from .errors import DomainError


@cache
def _statement(model: type[models.Model], vendor: str) -> tuple[list[models.Field], str]:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"RETURNING {quote(str(meta.pk.column))}"
    )
    return fields, sql


M = TypeVar("M", bound=models.Model)


def insert_new(obj: M) -> M:
    """Store a new model instance (its id is set from the database), like save()."""
    if not obj._state.adding:
        raise DomainError("insert_new stores new objects only", code="not_new")
    if not connection.features.can_return_columns_from_insert:
        obj.save(force_insert=True)
        return obj
    fields, sql = _statement(type(obj), connection.vendor)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj
