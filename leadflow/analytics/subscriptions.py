"""Scheduled reports (#26, ANA-6): a person subscribes to a report weekly or monthly; the
worker makes its XLSX over the period just ended, within the subscriber's data scope at
that moment, and emails it through the outbox (real SMTP, retried like every email).

A subscription's send is claimed by moving its `next_send_at` forward in the same
transaction that queues the email, so two workers never send it twice and a crash before
the commit sends it the next minute.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from leadflow.accounts.models import User
from leadflow.core.audit import audit_record
from leadflow.core.errors import NotFound, ValidationFailed
from leadflow.core.exports import write_workbook
from leadflow.core.permissions import DATA_EXPORT, require
from leadflow.core.sweeps import sweep
from leadflow.core.worktime import company_zone
from leadflow.notify.delivery import email_with_attachment

from .models import ReportSubscription
from .queries import Period
from .reports import REPORTS

SEND_AT = time(8, 0)  # local time, on Monday or the 1st
BATCH = 20


def next_send(frequency: str, after: datetime) -> datetime:
    """The next Monday 08:00 (weekly) or 1st 08:00 (monthly), local time, after `after`."""
    local = timezone.localtime(after, company_zone())
    day = local.date()
    if frequency == ReportSubscription.Frequency.WEEKLY:
        candidate = day + timedelta(days=(7 - day.weekday()) % 7)
        step = timedelta(days=7)
    else:
        candidate = day.replace(day=1)
        step = None
    moment = datetime.combine(candidate, SEND_AT, tzinfo=company_zone())
    while moment <= after:
        if step is not None:
            moment += step
        else:
            following = (moment.date().replace(day=28) + timedelta(days=4)).replace(day=1)
            moment = datetime.combine(following, SEND_AT, tzinfo=company_zone())
    return moment


def period_before(frequency: str, sent_on: date) -> Period:
    """The week (Monday–Sunday) or month that ended before `sent_on`."""
    if frequency == ReportSubscription.Frequency.WEEKLY:
        monday = sent_on - timedelta(days=sent_on.weekday() + 7)
        return Period(monday, monday + timedelta(days=6))
    last = sent_on.replace(day=1) - timedelta(days=1)
    return Period(last.replace(day=1), last)


@transaction.atomic
def report_subscribe(*, user: User, report: str, frequency: str) -> ReportSubscription:
    """Subscribe `user` to a report by email; refused without an email address or the
    export permission (a scheduled report is an export), or for an unknown report."""
    require(user, DATA_EXPORT)
    errors = {}
    if report not in ReportSubscription.Report.values:
        errors["report"] = gettext("%(value)s is not a report") % {"value": repr(report)}
    if frequency not in ReportSubscription.Frequency.values:
        errors["frequency"] = gettext("choose weekly or monthly")
    if not user.email:
        errors["email"] = gettext("your account has no email address: add one on your profile")
    if errors:
        raise ValidationFailed(gettext("The subscription was not saved."), fields=errors)
    now = timezone.now()
    try:
        with transaction.atomic():
            subscription = ReportSubscription.objects.create(
                user=user,
                report=report,
                frequency=frequency,
                next_send_at=next_send(frequency, now),
                created_at=now,
            )
    except IntegrityError:  # already subscribed: the one there is stands
        return ReportSubscription.objects.get(user=user, report=report, frequency=frequency)
    audit_record(
        actor=user,
        action="report.subscribe",
        obj=subscription,
        extra={"report": report, "frequency": frequency},
    )
    return subscription


@transaction.atomic
def report_unsubscribe(*, user: User, subscription_id: int) -> None:
    subscription = ReportSubscription.objects.filter(pk=subscription_id, user=user).first()
    if subscription is None:
        raise NotFound(gettext("No such subscription of yours."))
    audit_record(
        actor=user,
        action="report.unsubscribe",
        obj=subscription,
        extra={"report": subscription.report, "frequency": subscription.frequency},
    )
    subscription.delete()


def report_workbook(subscription: ReportSubscription, now: datetime) -> tuple[str, bytes, int]:
    """(file name, the XLSX, rows) of the subscription's report over the period just ended."""
    name, build = REPORTS[subscription.report]
    period = period_before(subscription.frequency, timezone.localdate(now, company_zone()))
    report = build(subscription.user, period, now)
    content = write_workbook(
        (table.title, table.headers, table.rows) for table in report.tables.values()
    )
    rows = sum(len(table.rows) for table in report.tables.values())
    return f"{subscription.report}-{period.start}-{period.end}.xlsx", content, rows


def _send(subscription: ReportSubscription, now: datetime) -> bool:
    """Claim this send and queue the email, in one transaction; False if already claimed."""
    with transaction.atomic():
        claimed = ReportSubscription.objects.filter(
            pk=subscription.pk, next_send_at=subscription.next_send_at
        ).update(next_send_at=next_send(subscription.frequency, now), last_sent_at=now)
        if not claimed:
            return False
        user = subscription.user
        if not (user.is_active and user.email and user.has_permission(DATA_EXPORT)):
            return False  # kept, and tried again next time: the account may be set right
        with translation.override(settings.LANGUAGE_CODE):
            filename, content, rows = report_workbook(subscription, now)
            period = period_before(subscription.frequency, timezone.localdate(now, company_zone()))
            title = REPORTS[subscription.report][0]
            subject = gettext("%(report)s, %(start)s to %(end)s") % {
                "report": title,
                "start": period.start,
                "end": period.end,
            }
            body = gettext(
                "Attached: %(report)s for %(start)s to %(end)s, %(rows)s rows, as you "
                "subscribed (%(frequency)s). The figures are those you may see."
            ) % {
                "report": title,
                "start": period.start,
                "end": period.end,
                "rows": rows,
                "frequency": subscription.get_frequency_display(),
            }
        email_with_attachment(user, subject, body, filename=filename, content=content)
        audit_record(
            actor=user,
            action="export",
            object_type=f"report-{subscription.report}",
            object_repr=filename,
            extra={"rows": rows, "format": "xlsx", "scheduled": subscription.frequency},
        )
    return True


@sweep("analytics.reports")
def send_due_reports(now: datetime) -> dict[str, Any]:
    """The subscriptions due, a batch a minute, each in its own transaction."""
    due = list(
        ReportSubscription.objects.filter(next_send_at__lte=now)
        .select_related("user")
        .order_by("next_send_at", "id")[:BATCH]
    )
    sent = sum(_send(subscription, now) for subscription in due)
    return {"due": len(due), "sent": sent}
