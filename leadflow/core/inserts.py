"""One new row, stored with a statement built once per model.

`Model.objects.create` builds its INSERT anew on every call; on a capture that happens
hundreds of times a second that costs more than the insert itself. `insert_new` runs the
same steps (the pre_save signal, each field's pre_save and database preparation, INSERT …
RETURNING the id, the post_save signal) with the statement built once per model and
database.
"""

from functools import cache
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import signals
from django.db.models.fields import AutoFieldMixin

from .errors import DomainError


@cache
def _statement(model: type[models.Model], vendor: str) -> tuple[list[models.Field], str]:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if _key_from_database(model):
        sql += f" RETURNING {quote(str(meta.pk.column))}"
    return fields, sql


def _key_from_database(model: type[models.Model]) -> bool:
    """True when the database numbers the rows; a key like a UUID is set before the insert."""
    return isinstance(model._meta.pk, AutoFieldMixin)


M = TypeVar("M", bound=models.Model)


def insert_new(obj: M) -> M:
    """Store a new model instance like save(); an id the database numbers is read back."""
    if not obj._state.adding:
        raise DomainError("insert_new stores new objects only", code="not_new")
    # The connection itself, not the proxy: each field's preparation asks it several times.
    db = connections[DEFAULT_DB_ALIAS]
    if not db.features.can_return_columns_from_insert:
        obj.save(force_insert=True)
        return obj
    model = type(obj)
    signals.pre_save.send(sender=model, instance=obj, raw=False, using=db.alias, update_fields=None)
    fields, sql = _statement(model, db.vendor)
    params = [f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        if _key_from_database(model):
            obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = db.alias
    signals.post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=db.alias
    )
    return obj
