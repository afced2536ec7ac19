"""Working time: deadlines measured in the company's working hours (LEAD-FUP-1, SVC-2).

China's statutory holidays and make-up working days come from the `holidays` package; a
company holiday table overrides it (for years the package does not know yet, or for a
company's own days off). Working hours default to 09:00–18:00 in the company time zone,
which is Django's TIME_ZONE (the TIME_ZONE variable, default Asia/Shanghai): one zone for
display, numbering and deadlines.
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from .company_settings import CHECKS, define, get_settings
from .models import CompanyHoliday

define("worktime.day_start", "09:00", "time", _("Working day starts"), _("Working time"))
define("worktime.day_end", "18:00", "time", _("Working day ends"), _("Working time"))


def _check_working_day(values: dict) -> dict[str, str]:
    if values["worktime.day_start"] >= values["worktime.day_end"]:
        return {
            "worktime.day_end": (
                f"{values['worktime.day_end']} is not after {values['worktime.day_start']}"
            )
        }
    return {}


CHECKS.append(_check_working_day)


@lru_cache(maxsize=1)
def company_zone() -> ZoneInfo:
    """The company time zone: Django's TIME_ZONE."""
    return ZoneInfo(settings.TIME_ZONE)


@lru_cache(maxsize=2)
def _statutory(language: str = "zh_CN") -> holidays.HolidayBase:
    # One instance per process and language; it fills in further years on first use.
    return holidays.China(language=language)


def _holiday_language() -> str:
    """The names of China's holidays in the reader's language (春节, or Spring Festival)."""
    return "zh_CN" if (get_language() or "zh-hans").startswith("zh") else "en_US"


def _parse_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


class WorkCalendar:
    def __init__(
        self,
        *,
        tz: str = "Asia/Shanghai",
        day_start: time = time(9),
        day_end: time = time(18),
        overrides: dict[date, bool] | None = None,
    ):
        if day_start >= day_end:
            raise ValueError("the working day must end after it starts")
        self.tz = ZoneInfo(tz)
        self.day_start = day_start
        self.day_end = day_end
        # date -> True (working) / False (day off); wins over the statutory calendar.
        self.overrides = overrides or {}

    @classmethod
    def for_company(cls) -> "WorkCalendar":
        values = get_settings("")
        overrides = {
            day: kind == CompanyHoliday.Kind.WORKING_DAY
            for day, kind in CompanyHoliday.objects.values_list("date", "kind")
        }
        return cls(
            tz=settings.TIME_ZONE,
            day_start=_parse_time(values["worktime.day_start"]),
            day_end=_parse_time(values["worktime.day_end"]),
            overrides=overrides,
        )

    @property
    def hours_per_day(self) -> timedelta:
        return self._at(date(2000, 1, 3), self.day_end) - self._at(date(2000, 1, 3), self.day_start)

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return _statutory().is_working_day(day)

    def special_days(self, year: int) -> list[dict]:
        """Every day of `year` that differs from a plain Monday-to-Friday week, with why."""
        statutory = _statutory(_holiday_language())
        statutory.get(date(year, 1, 1))  # makes the package fill the year in
        days = {
            day: {"date": day, "name": name, "source": "statutory", "working": False}
            for day, name in statutory.items()
            if day.year == year
        }
        for day in statutory.weekend_workdays:
            if day.year == year:
                days[day] = {
                    "date": day,
                    "name": gettext("make-up working day"),
                    "source": "statutory",
                    "working": True,
                }
        for day, name, kind in CompanyHoliday.objects.filter(date__year=year).values_list(
            "date", "name", "kind"
        ):
            days[day] = {
                "date": day,
                "name": name,
                "source": "company",
                "working": kind == CompanyHoliday.Kind.WORKING_DAY,
            }
        return sorted(days.values(), key=lambda item: item["date"])

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.tz)

    def add(self, moment: datetime, span: timedelta) -> datetime:
        """The moment `span` of working time after `moment` (an aware datetime)."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        if span < timedelta(0):
            raise ValueError("span must not be negative")
        cursor = moment.astimezone(self.tz)
        remaining = span
        while True:
            day = cursor.date()
            if not self.is_working_day(day) or cursor.time() >= self.day_end:
                cursor = self._at(day + timedelta(days=1), self.day_start)
                continue
            start_of_day = self._at(day, self.day_start)
            if cursor < start_of_day:
                cursor = start_of_day
            available = self._at(day, self.day_end) - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
            cursor = self._at(day + timedelta(days=1), self.day_start)

    def add_hours(self, moment: datetime, hours: float) -> datetime:
        return self.add(moment, timedelta(hours=hours))

    def add_days(self, moment: datetime, days: int) -> datetime:
        """N working days later: the same clock time on the Nth working day when `moment` is
        within working hours, the end of that day's working hours otherwise."""
        return self.add(moment, self.hours_per_day * days)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """How much working time lies between two moments (zero if end is not after start)."""
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        cursor = start.astimezone(self.tz)
        end = end.astimezone(self.tz)
        while cursor < end:
            day = cursor.date()
            if self.is_working_day(day):
                open_at = max(cursor, self._at(day, self.day_start))
                close_at = min(end, self._at(day, self.day_end))
                if close_at > open_at:
                    total += close_at - open_at
            cursor = self._at(day + timedelta(days=1), time(0))
        return total
