"""The lead table's look-up indexes, and on PostgreSQL its foreign keys, set aside while
a large import loads and put back after it (LEAD-CAP-2 at a million rows).

A million random inserts into each of the mobile, email and company-name indexes cost
more than the rest of an import together; one sorted build at the end costs a second
each. While they are away the importer finds duplicates in its own memory, and a capture
made meanwhile finds them by scanning the table: slower, still correct.

PostgreSQL checks a foreign key with a query per inserted row, eight of them per lead:
about a quarter of a million-row import's time. Put back, each is checked for every row
by one scan (VALIDATE), so a row that broke one while it was away is still refused, and
the key stays in force for new rows meanwhile. SQLite's checks are look-ups by rowid,
too cheap to be worth it.

On PostgreSQL the lead number's UNIQUE and its prefix-search index go too: numbers come
in the order of their acquisition dates, so each is a random insert into both: a third
of COPY's time at a million rows. Numbers are handed out by the numbering table
(leads.numbering), so none repeats meanwhile; putting the UNIQUE back checks every row
all the same. SQLite keeps its UNIQUE: it is part of the table there, and cannot be
dropped.

An import that dies before it puts them back (power cut, kill -9) leaves them missing;
the minute sweep puts them back once no import is running.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models
from django.utils.translation import gettext

from leadflow.core.liveness import is_alive
from leadflow.core.sweeps import sweep

from ..models import ImportBatch, Lead

# Built on Django internals (schema_editor._create_like_index_sql, the names Django gives
# foreign-key constraints, introspection.get_constraints): re-read them against the new
# Django and then raise this (tests/core/test_django_internals.py).
CHECKED_WITH_DJANGO = (5, 2)

SET_ASIDE = (
    "lead_status_recent",
    "lead_by_score",
    "lead_acquired",
    "lead_mobile",
    "lead_email",
    "lead_landline",
    "lead_company_key",
)
# Setting aside pays once the file is large and at least as large as the table.
SET_ASIDE_MIN_ROWS = 100_000
# An import that has not reported progress for this long is taken for dead.
STALLED_AFTER = timedelta(minutes=10)
# How Django's migrations name a foreign key, so one put back has its old name.
FOREIGN_KEY_SUFFIX = "_fk_%(to_table)s_%(to_column)s"
# PostgreSQL's name for the UNIQUE of the column `number`, as the table was made with it.
NUMBER_UNIQUE = f"{Lead._meta.db_table}_number_key"


def import_claim(batch_id: int) -> str:
    """The name of the liveness claim a running import holds (core.liveness)."""
    return f"import-{batch_id}"


def worth_setting_aside(rows: int) -> bool:
    if rows < SET_ASIDE_MIN_ROWS:
        return False
    return rows >= Lead.objects.count()


def _constraints() -> dict[str, Any]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, Lead._meta.db_table)


def _foreign_keys() -> list[models.ForeignKey]:
    """The lead fields the database checks as foreign keys."""
    return [
        field
        for field in Lead._meta.concrete_fields
        # getattr: django-stubs does not declare db_constraint.
        if isinstance(field, models.ForeignKey) and getattr(field, "db_constraint", True)
    ]


def _check_pending_foreign_keys(cursor) -> None:
    """PostgreSQL alters no table with checks still pending in the same transaction."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def set_aside() -> None:
    constraints = _constraints()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for name in SET_ASIDE:
            if name in constraints:
                cursor.execute(f"DROP INDEX {quote(name)}")
        if connection.vendor != "postgresql":
            return
        _check_pending_foreign_keys(cursor)
        table = quote(Lead._meta.db_table)
        for name, info in constraints.items():
            if info["foreign_key"] or _number_unique(info):
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
            elif _number_search(info):
                cursor.execute(f"DROP INDEX {quote(name)}")


def _number_unique(info: dict[str, Any]) -> bool:
    return info["columns"] == ["number"] and info["unique"] and not info["primary_key"]


def _number_search(info: dict[str, Any]) -> bool:
    """The index PostgreSQL's `number LIKE 'G2026%'` uses (varchar_pattern_ops)."""
    return info["columns"] == ["number"] and info["index"] and not info["unique"]


def restore() -> list[str]:
    """Build every declared index of the lead table that is missing and, on PostgreSQL,
    put back and check every missing foreign key and the number's UNIQUE and search
    index; their names."""
    editor = connection.schema_editor()
    constraints = _constraints()
    missing = [index for index in Lead._meta.indexes if index.name not in constraints]
    restored = [index.name for index in missing]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _check_pending_foreign_keys(cursor)
        for index in missing:
            cursor.execute(str(index.create_sql(Lead, editor)))
        if connection.vendor == "postgresql":
            restored += _restore_number(cursor, editor, constraints)
            restored += _restore_foreign_keys(cursor, editor, constraints)
    return restored


def _restore_number(cursor, editor, constraints: dict[str, dict[str, Any]]) -> list[str]:
    """The number's UNIQUE (one sorted build, refused if a number repeats) and its search
    index, where missing; their names."""
    restored = []
    quote = connection.ops.quote_name
    if not any(_number_unique(info) for info in constraints.values()):
        table = quote(Lead._meta.db_table)
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(NUMBER_UNIQUE)} UNIQUE (number)")
        restored.append(NUMBER_UNIQUE)
    if not any(_number_search(info) for info in constraints.values()):
        statement = editor._create_like_index_sql(Lead, Lead._meta.get_field("number"))
        cursor.execute(str(statement))
        restored.append(str(statement.parts["name"]).strip('"'))
    return restored


def _restore_foreign_keys(cursor, editor, constraints: dict[str, dict[str, Any]]) -> list[str]:
    """Add the missing foreign keys unchecked (NOT VALID: a short lock, and new rows are
    checked from then on), then check the existing rows, one scan per key; their names.
    A key whose check fails stays unchecked, in force for new rows, until the next try."""
    present = {tuple(info["columns"]) for info in constraints.values() if info["foreign_key"]}
    for field in _foreign_keys():
        if (field.column,) not in present:  # the statement Django's migrations run, named alike
            cursor.execute(f"{editor._create_fk_sql(Lead, field, FOREIGN_KEY_SUFFIX)} NOT VALID")
    table = Lead._meta.db_table
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND NOT convalidated",
        [table],
    )
    unchecked = [name for (name,) in cursor.fetchall()]
    quote = connection.ops.quote_name
    for name in unchecked:
        cursor.execute(f"ALTER TABLE {quote(table)} VALIDATE CONSTRAINT {quote(name)}")
    return unchecked


@sweep("leads.indexes")
def restore_after_failed_import(now: datetime) -> dict[str, object]:
    """Put back what an import left set aside, once no import is running. An import
    whose process is gone (its liveness claim is free: killed, crashed, machine lost) or
    that stopped reporting progress is marked failed, saying how many rows it had
    committed: those stay imported, the rest of the file did not arrive."""
    running = ImportBatch.objects.filter(state=ImportBatch.State.RUNNING)
    ended = [
        batch
        for batch in running
        if (batch.heartbeat_at or now) < now - STALLED_AFTER or not is_alive(import_claim(batch.pk))
    ]
    for batch in ended:
        ImportBatch.objects.filter(pk=batch.pk, state=ImportBatch.State.RUNNING).update(
            state=ImportBatch.State.FAILED,
            failure=gettext(
                "The import stopped without finishing: the first %(rows)d of %(total)d rows "
                "were imported (%(created)d new, %(merged)d merged, %(rejected)d refused); "
                "import the rest of the file again."
            )
            % {
                "rows": batch.rows_done,
                "total": batch.rows_total,
                "created": batch.created,
                "merged": batch.merged,
                "rejected": batch.rejected,
            },
            finished_at=now,
        )
    if running.all().exists():  # asked again: `running` holds the rows read above
        return {"stalled": len(ended), "restored": []}
    return {"stalled": len(ended), "restored": restore()}
