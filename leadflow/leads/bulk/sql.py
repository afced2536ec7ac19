"""The vendor-specific SQL of the bulk path, in one place: ids taken as one block, rows
written by COPY (PostgreSQL) or one executemany (SQLite), the importing connection's
SQLite settings, and the funnel tally's SQLite triggers, which a rebuild of the lead
table drops and `funnel_triggers_ensure` puts back.

Business steps never import this module (an import-linter contract): they write through
the ORM and `core.inserts`, and the bulk path writes the same rows faster here.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

from django.db import connection, transaction

from ..models import Lead

# Built on Django internals (CursorWrapper.cursor, the driver's own cursor, for COPY; the
# text form Django stores timestamps in, `db_moment`): re-read them against the new
# Django and then raise this (tests/core/test_django_internals.py).
CHECKED_WITH_DJANGO = (5, 2)
# SQLite settings of the importing connection while it imports: a 128 MB page cache,
# and no memory map, whose pages of a million-lead table would count as the import's
# memory (250 MB more at its peak, while it rebuilds the indexes).
IMPORT_PRAGMAS = {"cache_size": -131_072, "mmap_size": 0}


def reserve_ids(count: int) -> list[int]:
    table = Lead._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _reserve_postgres_ids(cursor, table, count)
        # SQLite: this transaction holds the write lock, so nobody else adds rows meanwhile.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def _reserve_postgres_ids(cursor, table: str, count: int) -> list[int]:
    """`count` consecutive ids from the table's sequence, taken as one block when this
    database user owns the sequence: ALTER SEQUENCE holds off every other nextval until
    this transaction ends (captures wait for the import's lock meanwhile anyway), then
    setval moves the sequence past the block. One nextval per id cost 4 µs each, 3.6 s
    of a million-row import. Without the ownership, one nextval per id it is."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (sequence,) = cursor.fetchone()
    cursor.execute(
        "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = %s::regclass",
        [sequence],
    )
    if not cursor.fetchone()[0]:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
        return [row[0] for row in cursor.fetchall()]
    with transaction.atomic():  # the lock lasts at least until the block is taken
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 1")  # its lock; no change
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - own name
        last, called = cursor.fetchone()
        first = last + 1 if called else last  # a sequence never called starts at last_value
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return list(range(first, first + count))


def db_moment(moment: datetime, vendor: str) -> str:
    """An aware datetime as the text this database takes for a timestamp, in UTC.

    The bulk path keeps times in this form: it crosses the process pipe cheaply, goes into
    executemany as is, and compares correctly as a string (same zone, same layout)."""
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return text if vendor == "sqlite" else f"{text}+00:00"


def insert_leads(
    rows: list[list[Any]], columns: tuple[str, ...], shared: Mapping[str, Any] | None = None
) -> None:
    """Insert rows (values for `columns`, in order) in one statement per chunk, each with
    the `shared` column values too."""
    if not rows:
        return
    shared = shared or {}
    names = ", ".join((*columns, *shared))
    table = Lead._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the bulk load PostgreSQL is built for, several times executemany's speed.
            tail = tuple(shared.values())
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *tail) if tail else row)
            return
        # SQLite binds every parameter of every row afresh: the shared values go into the
        # statement once instead, as literals SQLite quotes itself.
        literals: list[str] = []
        if shared:
            cursor.execute(
                f"SELECT {', '.join(['quote(%s)'] * len(shared))}", list(shared.values())
            )
            # "%" doubled: the cursor formats the statement's placeholders with "%".
            literals = [literal.replace("%", "%%") for literal in cursor.fetchone()]
        values = ", ".join([*(["%s"] * len(columns)), *literals])
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({values})", rows)  # noqa: S608


def update_leads(rows: list[list[Any]], columns: tuple[str, ...]) -> None:
    """Set `columns` of the leads whose id ends each row (values for `columns`, then the
    id). PostgreSQL: the rows COPYed into a temporary table, then one UPDATE … FROM it (an
    executemany sent each row's 30 values through psycopg's Python: a fifth of a million-row
    import's time went to its 50,000 merges). SQLite: one executemany, a loop in C."""
    if not rows:
        return
    table = Lead._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            assignments = ", ".join(f"{name} = %s" for name in columns)
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)  # noqa: S608
            return
        # The changed columns with the lead table's own types, and nothing else of it.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS lead_changes "  # noqa: S608 - our names
            f"ON COMMIT DELETE ROWS AS SELECT {', '.join(columns)}, id FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY lead_changes ({', '.join(columns)}, id) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        assignments = ", ".join(f"{name} = lead_changes.{name}" for name in columns)
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM lead_changes "  # noqa: S608
            f"WHERE {table}.id = lead_changes.id"
        )
        # Emptied now: the next chunk may come in the same transaction.
        cursor.execute("DELETE FROM lead_changes")


def statistics_refresh() -> None:
    """After a large import, PostgreSQL's statistics of the lead table are refreshed at
    once rather than when autovacuum comes by: planned with the empty table's figures, the
    next import's key look-ups scanned a million leads (10 s instead of 0.1 s for a list of
    2,000). SQLite plans its look-ups by the indexes alone."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Lead._meta.db_table}")


@contextmanager
def bulk_connection() -> Iterator[None]:
    """IMPORT_PRAGMAS on this SQLite connection while it imports."""
    if connection.vendor != "sqlite":
        yield
        return
    previous = {}
    with connection.cursor() as cursor:
        for name, value in IMPORT_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}")
            previous[name] = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA {name}={int(value)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in previous.items():
                cursor.execute(f"PRAGMA {name}={value}")


# The triggers as migration 0023 made them: the history is their one definition.
_TALLY = import_module("leadflow.leads.migrations.0023_funnel_tally")
SQLITE_TRIGGERS = [s for s in _TALLY.SQLITE if s.lstrip().startswith("CREATE TRIGGER")]
SQLITE_TRIGGER_NAMES = [s.split()[2] for s in SQLITE_TRIGGERS]


def funnel_triggers_ensure() -> list[str]:
    """Make the funnel tally's SQLite triggers again where they are missing (a table
    rebuild, a restore from a dump without them); the names made. PostgreSQL keeps its
    triggers through ALTER TABLE, so there is nothing to do there."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
        made = []
        for name, statement in zip(SQLITE_TRIGGER_NAMES, SQLITE_TRIGGERS, strict=True):
            if name not in present:
                cursor.execute(statement)
                made.append(name)
    return made
