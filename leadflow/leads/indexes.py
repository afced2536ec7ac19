"""The lead table's look-up indexes, set aside while a large import loads and rebuilt
after it (LEAD-CAP-2 at a million rows).

A million random inserts into each of the mobile, email and company-name indexes cost
more than the rest of an import together; one sorted build at the end costs a second
each. While they are away the importer finds duplicates in its own memory, and a capture
made meanwhile finds them by scanning the table: slower, still correct.

An import that dies before it rebuilds them (power cut, kill -9) leaves them missing;
the minute sweep rebuilds them once no import is running.
"""

from datetime import datetime, timedelta

from django.db import connection

from leadflow.core.sweeps import sweep

from .models import ImportBatch, Lead

SET_ASIDE = ("lead_status_recent", "lead_mobile", "lead_email", "lead_company_key")
# Setting aside pays once the file is large and at least as large as the table.
SET_ASIDE_MIN_ROWS = 100_000
# An import that has not reported progress for this long is taken for dead.
STALLED_AFTER = timedelta(minutes=10)


def worth_setting_aside(rows: int) -> bool:
    if rows < SET_ASIDE_MIN_ROWS:
        return False
    return rows >= Lead.objects.count()


def _present() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Lead._meta.db_table)
    return {name for name, info in constraints.items() if info["index"]}


def set_aside() -> None:
    present = _present()
    with connection.cursor() as cursor:
        for name in SET_ASIDE:
            if name in present:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")


def restore() -> list[str]:
    """Build every declared index of the lead table that is missing; their names."""
    editor = connection.schema_editor()
    present = _present()
    missing = [index for index in Lead._meta.indexes if index.name not in present]
    with connection.cursor() as cursor:
        if missing and connection.vendor == "postgresql":
            # Check deferred foreign keys now: PostgreSQL builds no index on a table with
            # checks pending in the same transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for index in missing:
            cursor.execute(str(index.create_sql(Lead, editor)))
    return [index.name for index in missing]


@sweep("leads.indexes")
def restore_after_failed_import(now: datetime) -> dict[str, object]:
    """Rebuild indexes an import left missing, once no import is running; an import
    that stopped reporting progress is marked failed."""
    running = ImportBatch.objects.filter(state=ImportBatch.State.RUNNING)
    stalled = running.filter(heartbeat_at__lt=now - STALLED_AFTER)
    failed = stalled.update(
        state=ImportBatch.State.FAILED,
        failure="The import stopped without finishing (no progress for 10 minutes).",
        finished_at=now,
    )
    if running.exists():
        return {"stalled": failed, "restored": []}
    return {"stalled": failed, "restored": restore()}
