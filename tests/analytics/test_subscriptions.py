"""Scheduled reports (#26, ANA-6): a weekly or monthly XLSX of a report by email over real
SMTP, made by the worker within the subscriber's own data scope, sent once."""

import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from openpyxl import load_workbook

from leadflow.analytics.models import ReportSubscription
from leadflow.analytics.subscriptions import (
    next_send,
    period_before,
    report_subscribe,
    send_due_reports,
)
from leadflow.core.errors import Forbidden, ValidationFailed
from leadflow.core.models import AuditLog
from tests.analytics.test_dashboard import world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db
TUESDAY = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def test_sent_monday_morning_or_the_first_for_the_period_before():
    # SPEC: ANA-6 — weekly or monthly
    assert next_send("weekly", TUESDAY) == datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # 08:00 Mon
    assert next_send("monthly", TUESDAY) == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)  # 08:00
    early_monday = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)  # 06:00 Monday in Shanghai
    assert next_send("weekly", early_monday) == datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    week = period_before("weekly", date(2026, 12, 7))
    assert (week.start, week.end) == (date(2026, 11, 30), date(2026, 12, 6))
    month = period_before("monthly", date(2027, 1, 1))
    assert (month.start, month.end) == (date(2026, 12, 1), date(2026, 12, 31))


def test_subscribing_refuses_what_cannot_be_sent(world, make_user):  # noqa: F811
    # SPEC: ANA-6, SEC-5 — clear errors, nothing saved
    admin, _, _ = world
    with pytest.raises(ValidationFailed) as refused:
        report_subscribe(user=admin, report="secrets", frequency="daily")
    assert set(refused.value.fields) == {"report", "frequency"}
    admin.email = ""
    admin.save()
    with pytest.raises(ValidationFailed) as no_address:
        report_subscribe(user=admin, report="leads", frequency="weekly")
    assert "email" in no_address.value.fields
    with pytest.raises(Forbidden):  # a scheduled report is an export
        report_subscribe(user=make_user(), report="leads", frequency="weekly")
    assert not ReportSubscription.objects.exists()


def test_the_worker_mails_each_subscriber_their_own_figures_once(
    world,  # noqa: F811
    org,
    smtp_server,
    run_tasks,
    make_user,
):
    # SPEC: ANA-6, SEC-1 — an XLSX of the report by real SMTP, in the subscriber's scope
    admin, _, _ = world
    # A manager of 市场部: none of the sales department's leads are in his scope.
    manager = make_user("sales_manager", department=org.marketing)
    with time_machine.travel(datetime(2026, 3, 15, 2, 0, tzinfo=UTC), tick=False):
        mine = report_subscribe(user=admin, report="leads", frequency="monthly")
        theirs = report_subscribe(user=manager, report="leads", frequency="monthly")
        assert report_subscribe(user=admin, report="leads", frequency="monthly") == mine
    first_of_april = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    with time_machine.travel(first_of_april, tick=False):
        assert send_due_reports(first_of_april) == {"due": 2, "sent": 2}
        assert send_due_reports(first_of_april) == {"due": 0, "sent": 0}
        run_tasks()
    reports = [m for m in smtp_server.messages if m["Subject"].startswith("线索分析")]
    by_address = {message["X-Envelope-To"]: message for message in reports}
    assert len(reports) == 2
    assert set(by_address) == {admin.email, manager.email}
    message = by_address[admin.email]
    assert message["Subject"] == "线索分析，2026-03-01 至 2026-03-31"
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "leads-2026-03-01-2026-03-31.xlsx"
    book = load_workbook(io.BytesIO(attachment.get_content()))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("渠道", "线索", "A", "B", "C")
    assert {row[0]: row[1] for row in rows[1:]} == {"官网": 3, "搜索引擎推广": 3, "展会": 3}
    theirs_book = load_workbook(
        io.BytesIO(next(by_address[manager.email].iter_attachments()).get_content())
    )
    counted = list(theirs_book.worksheets[0].iter_rows(values_only=True))[1:]
    # The same report in his scope: only the two leads still waiting to be assigned.
    assert sorted((row[0], row[1]) for row in counted) == [("展会", 1), ("搜索引擎推广", 1)]
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.next_send_at == datetime(2026, 5, 1, 0, 0, tzinfo=UTC)  # 1 May, 08:00
    assert AuditLog.objects.filter(action="export", object_type="report-leads").count() == 2
