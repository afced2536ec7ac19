"""Lead numbers (LEAD-CAP-4): channel code + acquisition date (company time zone,
YYYYMMDD) + a daily sequence of at least three digits, e.g. G20231028001.

One upsert per call hands out a block of numbers; the row lock it takes lasts until the
caller's transaction ends, so concurrent captures queue on it and never share a number.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from leadflow.core.sequences import reserve_blocks
from leadflow.core.worktime import company_zone

from .models import LeadNumberSequence

_TABLE = LeadNumberSequence._meta.db_table


def number_prefix(channel_code: str, acquired_at: datetime, zone: ZoneInfo | None = None) -> str:
    """ "G20231028": the channel code and the acquisition day in the company time zone."""
    day = acquired_at.astimezone(zone or company_zone())
    return f"{channel_code}{day.year:04d}{day.month:02d}{day.day:02d}"


def reserve_numbers(*, prefix: str, count: int = 1) -> list[str]:
    """`count` consecutive unused numbers under `prefix` (call inside a transaction)."""
    first = reserve_number_blocks({prefix: count})[prefix]
    return [number(prefix, sequence) for sequence in range(first, first + count)]


def reserve_number_blocks(counts: dict[str, int]) -> dict[str, int]:
    """{prefix: the first of its block} for blocks of several prefixes ({prefix: how
    many}), reserved in one statement; format each with `number`."""
    return reserve_blocks(_TABLE, counts)


def number(prefix: str, sequence: int) -> str:
    """ "G20231028001": the prefix and the day's sequence, at least three digits."""
    return f"{prefix}{sequence:03d}"


def day_of(number: str) -> date:
    return datetime.strptime(number[1:9], "%Y%m%d").date()  # noqa: DTZ007 - a calendar day
