"""One new row, stored with a statement built once per model.

`Model.objects.create` builds its INSERT anew on every call; on a capture that happens
hundreds of times a second that costs more than the insert itself. `insert_new` runs the
same steps (the pre_save signal, each field's pre_save and database preparation, INSERT …
RETURNING the id, the post_save signal) with the statement built once per model and
database.

Django prepares each value through four method calls per field, a lead has 55 fields,
and most values come out as they went in: a text stays the same text, an empty date
stays None. Where Django's own preparation is known to leave a value of a type as it is
(`_as_is`), the value goes into the statement directly; any other value takes Django's
steps.
"""

from functools import cache
from types import NoneType
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import signals
from django.db.models.fields import AutoFieldMixin

from .errors import DomainError

Field = models.Field
# Django's own preparations (get_prep_value, get_db_prep_value) that leave a value of
# these types as it is; None as it is when the column takes NULL.
_TEXT = (
    (models.CharField.get_prep_value, Field.get_db_prep_value),
    (models.TextField.get_prep_value, Field.get_db_prep_value),
)
_BOOLEAN = ((models.BooleanField.get_prep_value, Field.get_db_prep_value),)
_INTEGER = ((models.IntegerField.get_prep_value, models.IntegerField.get_db_prep_value),)
# Read the attribute as it is, unless auto_now or auto_now_add is set.
_PLAIN_PRE_SAVE = (Field.pre_save, models.DateField.pre_save, models.DateTimeField.pre_save)
_NONE_ONLY = (
    (models.DateTimeField.get_prep_value, models.DateTimeField.get_db_prep_value),
    (models.DateField.get_prep_value, models.DateField.get_db_prep_value),
    (models.DecimalField.get_prep_value, models.DecimalField.get_db_prep_value),
)


# Built on Django internals (each field's pre_save / get_db_prep_value chain, which
# `_as_is` trusts; AutoFieldMixin; the INSERT … RETURNING that Model.save writes): re-read
# them against the new Django and then raise this (tests/core/test_django_internals.py).
CHECKED_WITH_DJANGO = (5, 2)


def _as_is(field: Field, ops: type[BaseDatabaseOperations]) -> tuple[type, ...]:
    """The value types `field` stores unchanged with these database operations (none
    when unsure)."""
    cls = type(field)
    computed = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    if cls.pre_save not in _PLAIN_PRE_SAVE or computed:
        return ()  # the field works out its own value
    nullable: tuple[type, ...] = (NoneType,) if field.null else ()
    if isinstance(field, models.ForeignKey):
        target = field.target_field
        plain_key = (
            cls.get_db_prep_save is models.ForeignKey.get_db_prep_save
            and isinstance(target, AutoFieldMixin)
            and type(target).get_db_prep_value is AutoFieldMixin.get_db_prep_value
            and type(target).get_prep_value is models.IntegerField.get_prep_value
            and ops.validate_autopk_value is BaseDatabaseOperations.validate_autopk_value
        )
        return (*nullable, int) if plain_key else ()
    if cls.get_db_prep_save is not Field.get_db_prep_save:
        return ()
    methods = (cls.get_prep_value, cls.get_db_prep_value)
    plain_integers = ops.adapt_integerfield_value is BaseDatabaseOperations.adapt_integerfield_value
    if methods in _TEXT:
        return (*nullable, str)
    if methods in _BOOLEAN:
        return (*nullable, bool)
    if methods in _INTEGER:
        return (*nullable, int) if plain_integers else nullable
    if methods in _NONE_ONLY:
        return nullable
    return ()


@cache
def _statement(
    model: type[models.Model], vendor: str
) -> tuple[list[tuple[Field, str, tuple[type, ...]]], str]:
    """Each inserted field with its attribute name and the types it takes as they are,
    and the INSERT statement."""
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if _key_from_database(model):
        sql += f" RETURNING {quote(str(meta.pk.column))}"
    ops = type(connection.ops)
    return [(f, f.attname, _as_is(f, ops)) for f in fields], sql


def prepared_values(obj: models.Model, db: BaseDatabaseWrapper) -> list[Any]:
    """The values `insert_new` stores for `obj`, in its statement's column order."""
    fields, _ = _statement(type(obj), db.vendor)
    values = []
    for field, attname, as_is in fields:
        if as_is and type(value := getattr(obj, attname)) in as_is:
            values.append(value)
        else:
            values.append(field.get_db_prep_save(field.pre_save(obj, True), db))
    return values


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
    _, sql = _statement(model, db.vendor)
    params = prepared_values(obj, db)
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


def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Many rows into `table` in one go, values ready for the database (times as
    `connection.ops.adapt_datetimefield_value` gives them): COPY on PostgreSQL, one
    executemany on SQLite. For a sweep's set of rows; no signals, no model."""
    if not rows:
        return
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
