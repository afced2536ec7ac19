"""Working time over China's holidays and make-up working days (LEAD-FUP-1, SVC-2)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadflow.core.company_settings import settings_update
from leadflow.core.holidays_admin import holiday_set
from leadflow.core.worktime import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


calendar = WorkCalendar()


def test_spring_festival_and_make_up_saturday():
    # SPEC: LEAD-FUP-1 — 2026: 春节 Feb 15–23 off, Saturday Feb 14 is a make-up working day.
    # Friday 13 Feb 17:00 + 4 working hours: 1 h on Friday, 3 h on Saturday the 14th.
    assert calendar.add_hours(at(2026, 2, 13, 17, 0), 4) == at(2026, 2, 14, 12, 0)
    # Saturday 14 Feb 16:30 + 24 working hours: 1.5 h that Saturday, then nothing until
    # Tuesday 24 Feb (9 h), Wednesday 25 (9 h), and 4.5 h on Thursday 26 → 13:30.
    assert calendar.add_hours(at(2026, 2, 14, 16, 30), 24) == at(2026, 2, 26, 13, 30)


def test_second_make_up_saturday_counts_and_normal_weekend_does_not():
    # SPEC: LEAD-FUP-1 — Saturday 28 Feb 2026 is a make-up working day.
    assert calendar.is_working_day(date(2026, 2, 28))
    assert not calendar.is_working_day(date(2026, 3, 7))
    assert calendar.add_hours(at(2026, 2, 27, 17, 0), 2) == at(2026, 2, 28, 10, 0)
    assert calendar.add_hours(at(2026, 3, 6, 17, 0), 2) == at(2026, 3, 9, 10, 0)


def test_moment_outside_hours_starts_at_next_opening():
    # SPEC: LEAD-FUP-1
    assert calendar.add_hours(at(2026, 3, 9, 7, 15), 1) == at(2026, 3, 9, 10, 0)
    assert calendar.add_hours(at(2026, 3, 9, 20, 0), 1) == at(2026, 3, 10, 10, 0)
    # Exactly the rest of the day lands on the closing minute, not the next morning.
    assert calendar.add_hours(at(2026, 3, 9, 9, 0), 9) == at(2026, 3, 9, 18, 0)


def test_result_is_the_same_instant_in_utc():
    start = datetime(2026, 2, 13, 9, 0, tzinfo=ZoneInfo("UTC"))  # 17:00 in Shanghai
    assert calendar.add_hours(start, 4) == at(2026, 2, 14, 12, 0)


def test_working_days_keep_the_clock_time():
    # SPEC: SVC-2 — "within 1 working day" from Friday before the festival.
    assert calendar.add_days(at(2026, 2, 13, 10, 0), 1) == at(2026, 2, 14, 10, 0)
    assert calendar.add_days(at(2026, 2, 14, 10, 0), 1) == at(2026, 2, 24, 10, 0)


def test_working_time_between_skips_the_festival():
    assert calendar.working_time_between(at(2026, 2, 13, 17, 0), at(2026, 2, 24, 10, 0)) == (
        timedelta(hours=1 + 9 + 1)
    )


def test_naive_or_negative_input_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add_hours(datetime(2026, 1, 5, 9, 0), 1)  # noqa: DTZ001
    with pytest.raises(ValueError, match="negative"):
        calendar.add(at(2026, 1, 5, 9, 0), timedelta(hours=-1))


@pytest.mark.django_db
def test_company_table_overrides_the_package_for_unknown_years(admin_user):
    # SPEC: LEAD-FUP-1 — an admin enters next year's notice before the package knows it.
    holiday_set(by=admin_user, day=date(2026, 3, 9), kind="day_off", name="公司年会")
    holiday_set(by=admin_user, day=date(2026, 3, 7), kind="working_day", name="年会调休")
    company = WorkCalendar.for_company()
    assert not company.is_working_day(date(2026, 3, 9))
    assert company.is_working_day(date(2026, 3, 7))
    assert company.add_hours(at(2026, 3, 6, 17, 0), 2) == at(2026, 3, 7, 10, 0)
    assert company.add_hours(at(2026, 3, 7, 17, 0), 2) == at(2026, 3, 10, 10, 0)


@pytest.mark.django_db
def test_company_working_hours_are_settings(admin_user):
    settings_update(
        changes={"worktime.day_start": "08:30", "worktime.day_end": "17:30"}, by=admin_user
    )
    company = WorkCalendar.for_company()
    assert (company.day_start, company.day_end) == (time(8, 30), time(17, 30))
    assert company.add_hours(at(2026, 3, 9, 17, 0), 1) == at(2026, 3, 10, 9, 0)
