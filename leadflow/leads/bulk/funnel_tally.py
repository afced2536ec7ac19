"""Folding the funnel tally (ANA-2): the triggers of migration 0023 write one row per
change; the minute sweep sums the fresh rows of each month they touched into one row per
month, channel, owner and stage, so a year's funnel reads a few thousand rows.

A fold deletes exactly the rows it sums, in one statement on PostgreSQL (a change that
commits meanwhile is not seen by either half and waits for the next fold) and under
SQLite's single writer on SQLite, so the sums never drift. See `FunnelTally`.

Leads are born unworked, so the triggers watch updates and deletes only; leads written
worked by plain INSERT (a restore, a benchmark's fill) need `recount_funnel_tally`.
"""

from datetime import datetime
from typing import Any

from django.db import connection, transaction

from leadflow.core.sweeps import sweep

from .sql import funnel_triggers_ensure

POSTGRES_FOLD = """
    WITH touched AS (SELECT DISTINCT month FROM leads_funneltally WHERE fresh),
    folded AS (
        DELETE FROM leads_funneltally WHERE month IN (SELECT month FROM touched)
        RETURNING month, channel_id, owner_id, furthest_stage, leads
    )
    INSERT INTO leads_funneltally (month, channel_id, owner_id, furthest_stage, leads, fresh)
    SELECT month, channel_id, owner_id, furthest_stage, SUM(leads), false FROM folded
    GROUP BY month, channel_id, owner_id, furthest_stage HAVING SUM(leads) <> 0
"""
# SQLite: the same in two statements over the rows up to a known id. The transaction
# begins IMMEDIATE (settings), so no other writer adds a row in between.
SQLITE_FOLD = """
    INSERT INTO leads_funneltally (month, channel_id, owner_id, furthest_stage, leads, fresh)
    SELECT month, channel_id, owner_id, furthest_stage, SUM(leads), 0 FROM leads_funneltally
    WHERE id <= %s AND month IN (SELECT month FROM leads_funneltally WHERE fresh)
    GROUP BY month, channel_id, owner_id, furthest_stage HAVING SUM(leads) <> 0
"""
SQLITE_FOLDED = """
    DELETE FROM leads_funneltally
    WHERE id <= %s AND month IN (SELECT month FROM leads_funneltally WHERE fresh AND id <= %s)
"""


@sweep("leads.funnel_tally")
def fold_funnel_tally(now: datetime) -> dict[str, Any]:
    """Fold the months with fresh rows; a minute with no change reads one index entry.
    Triggers found missing (SQLite) are made again and the tally counted afresh."""
    if remade := funnel_triggers_ensure():
        return {"triggers_remade": remade, "rows": recount_funnel_tally()}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(DISTINCT month) FROM leads_funneltally WHERE fresh")
        (months,) = cursor.fetchone()
        if not months:
            return {"months": 0}
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FOLD)
        else:
            cursor.execute("SELECT MAX(id) FROM leads_funneltally")
            (last,) = cursor.fetchone()
            cursor.execute(SQLITE_FOLD, [last])
            cursor.execute(SQLITE_FOLDED, [last, last])
    return {"months": months}


LIVE_WORKED = "furthest_stage <> '' AND merged_into_id IS NULL"
MONTH = {
    "postgresql": "date_trunc('month', acquired_at AT TIME ZONE 'UTC')::date",
    "sqlite": "substr(acquired_at, 1, 7) || '-01'",  # stored as UTC 'YYYY-MM-DD hh:mm:ss'
}


def recount_funnel_tally() -> int:
    """Count the whole tally afresh from the leads; the rows written. Changes committed
    meanwhile wait for the table lock and land on top, so the result is exact."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("LOCK TABLE leads_funneltally IN EXCLUSIVE MODE")
        cursor.execute("DELETE FROM leads_funneltally")
        cursor.execute(
            "INSERT INTO leads_funneltally (month, channel_id, owner_id, furthest_stage, leads,"  # noqa: S608 - constants
            f" fresh) SELECT {MONTH[connection.vendor]}, channel_id, owner_id, furthest_stage,"
            f" COUNT(*), %s FROM leads_lead WHERE {LIVE_WORKED} GROUP BY 1, 2, 3, 4",
            [False],
        )
        return cursor.rowcount
