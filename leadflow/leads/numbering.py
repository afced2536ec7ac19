"""Lead numbers (LEAD-CAP-4): channel code + acquisition date (company time zone,
YYYYMMDD) + a daily sequence of at least three digits, e.g. G20231028001.

One upsert per call hands out a block of numbers; the row lock it takes lasts until the
caller's transaction ends, so concurrent captures queue on it and never share a number.
"""

from datetime import date, datetime

from django.db import connection
from django.utils import timezone

from .models import LeadNumberSequence

_TABLE = LeadNumberSequence._meta.db_table


def number_prefix(channel_code: str, acquired_at: datetime) -> str:
    return f"{channel_code}{timezone.localtime(acquired_at):%Y%m%d}"


def reserve_numbers(*, prefix: str, count: int = 1) -> list[str]:
    """`count` consecutive unused numbers under `prefix` (call inside a transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (prefix, last) VALUES (%s, %s) "  # noqa: S608 - table name is ours
            f"ON CONFLICT (prefix) DO UPDATE SET last = {_TABLE}.last + EXCLUDED.last "
            "RETURNING last",
            [prefix, count],
        )
        last = cursor.fetchone()[0]
    return [f"{prefix}{sequence:03d}" for sequence in range(last - count + 1, last + 1)]


def day_of(number: str) -> date:
    return datetime.strptime(number[1:9], "%Y%m%d").date()  # noqa: DTZ007 - a calendar day
