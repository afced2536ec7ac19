"""Counting hits per key and time window in the database, so every web process and
machine shares the same count (SEC-5: the public form endpoint is rate limited)."""

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from .models import RateCounter

_TABLE = RateCounter._meta.db_table


def rate_hit(key: str, *, limit: int, window: timedelta, now: datetime | None = None) -> bool:
    """Count one hit for `key`; True while the window's hits stay within `limit`."""
    now = now or timezone.now()
    seconds = int(window.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=now.tzinfo)
    stored_start = connection.ops.adapt_datetimefield_value(start)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (key, window_start, hits) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (key, window_start) DO UPDATE SET hits = {_TABLE}.hits + 1 "
            "RETURNING hits",
            [key[:200], stored_start],
        )
        hits = cursor.fetchone()[0]
    return hits <= limit


def prune_rate_counters(before: datetime) -> int:
    deleted, _ = RateCounter.objects.filter(window_start__lt=before).delete()
    return deleted
