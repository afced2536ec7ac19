"""Serialising captures that could be duplicates of each other (LEAD-CLN-2).

SQLite already runs one writing transaction at a time (IMMEDIATE mode), so nothing is
needed there. On PostgreSQL a capture takes the shared capture lock and an exclusive lock
per dedupe key (mobile, email, company name); captures of unrelated people run side by
side, two captures of the same person queue. A bulk import chunk takes the capture lock
exclusively, so no single capture slips between its duplicate check and its insert.
All locks are transaction-scoped: they end with the transaction that took them.
"""

import zlib

from django.db import OperationalError, connection, transaction

from leadflow.core.health import write_check

CAPTURE_LOCK = 7_401_001  # advisory lock class id for leads capture
KEY_LOCK = 7_401_002


def _key_id(key: str) -> int:
    return zlib.crc32(key.encode()) - 2**31  # a signed 32-bit int, as PostgreSQL wants


def lock_capture_keys(keys: list[str]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [CAPTURE_LOCK])
        for key_id in sorted({_key_id(key) for key in keys if key}):  # sorted: no deadlocks
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [KEY_LOCK, key_id])


def lock_all_captures() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CAPTURE_LOCK])


@write_check
def capture_lock_free(seconds: float) -> str:
    """For /healthz: "" when a capture would get its lock within `seconds`. A transaction
    left open by a dead process (an import's, holding the capture lock exclusively)
    stops every capture."""
    if connection.vendor != "postgresql":
        return ""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{seconds * 1000:.0f}"])
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [CAPTURE_LOCK])
    except OperationalError:
        return f"the capture lock was not free within {seconds:g} s"
    return ""
