"""`notify()`: one call that reaches people in the app, by email and in their team's group
chat; and the delivery engine that sends the outbox with rate limits and retries."""

import logging
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from leadflow.accounts.models import Department, Team, User
from leadflow.core.faults import fault_point
from leadflow.core.sweeps import sweep
from leadflow.core.worker import WORKER_ALIVE, current_worker_id, live_worker_ids

from . import robots
from .models import Delivery, Notification, Robot

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
STALE_CLAIM = timedelta(minutes=5)


@dataclass(frozen=True)
class Message:
    title: str
    body: str = ""
    url: str = ""  # a path in the app ("/leads/12/") or a full URL
    level: str = "info"  # info | warning | urgent


def briefly(items: list[str], separator: str = ", ", most: int = 10) -> str:
    """The first `most` items of a notice's list, and " …" when there are more."""
    return separator.join(items[:most]) + (" …" if len(items) > most else "")


def _recipients(target) -> list[User]:
    if isinstance(target, User):
        users: Iterable[User] = [target]
    elif isinstance(target, Team):
        users = target.members.all()
    elif isinstance(target, Department):
        users = User.objects.filter(department__path__startswith=target.path)
    else:
        users = target
    return [user for user in users if user.is_active]


def _robots_for(target, users: list[User]) -> list[Robot]:
    if isinstance(target, Team):
        teams = Q(team=target)
    elif isinstance(target, Department):
        teams = Q(team__department__path__startswith=target.path)
    else:
        teams = Q(team_id__in={user.team_id for user in users if user.team_id})
    return list(Robot.objects.filter(teams, enabled=True))


def _absolute(url: str) -> str:
    return f"{settings.SITE_URL}{url}" if url.startswith("/") else url


@transaction.atomic
def notify(target, message: Message) -> list[Notification]:
    """Tell a user, a team, a department (and below) or a list of users.

    Call it inside the transaction of the change it reports: the bell entries, emails and
    robot posts are written with it and sent only once it commits.
    """
    users = _recipients(target)
    now = timezone.now()
    notifications = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            title=message.title,
            body=message.body,
            url=message.url,
            level=message.level,
            created_at=now,
        )
        for user in users
    )
    deliveries: list[Delivery] = []
    if settings.LEADFLOW_EMAIL_ENABLED:
        body = message.body + (f"\n\n{_absolute(message.url)}" if message.url else "")
        deliveries += [
            Delivery(
                channel=Delivery.Channel.EMAIL,
                recipient=user,
                address=user.email,
                subject=message.title,
                body=body,
                message_id=new_message_id(),
                next_attempt_at=now,
                created_at=now,
            )
            for user in users
            if user.email
        ]
    # People named one by one are @mentioned in their team chat; a whole team is not.
    mention = not isinstance(target, Team | Department)
    for robot in _robots_for(target, users):
        mobiles = [user.mobile for user in users if user.team_id == robot.team_id and user.mobile]
        deliveries.append(_robot_delivery(robot, message, mobiles if mention else [], now))
    _queue(deliveries)
    return notifications


@transaction.atomic
def email_outside(address: str, subject: str, body: str) -> Delivery:
    """An email to someone who is not a user (a customer's contact), through the same
    outbox: written with the change that causes it, sent once it commits, retried."""
    now = timezone.now()
    delivery = Delivery(
        channel=Delivery.Channel.EMAIL,
        address=address,
        subject=subject[:200],
        body=body,
        message_id=new_message_id(),
        next_attempt_at=now,
        created_at=now,
    )
    _queue([delivery])
    return delivery


def email_with_attachment(
    user: User, subject: str, body: str, *, filename: str, content: bytes
) -> Delivery:
    """An email with one file to a user (a scheduled report), through the outbox: written
    with the change that causes it, sent once it commits, retried like any other."""
    now = timezone.now()
    delivery = Delivery(
        channel=Delivery.Channel.EMAIL,
        recipient=user,
        address=user.email,
        subject=subject[:200],
        body=body,
        attachment=content,
        attachment_name=filename[:120],
        message_id=new_message_id(),
        next_attempt_at=now,
        created_at=now,
    )
    _queue([delivery])
    return delivery


def notify_robot(robot: Robot, message: Message) -> Delivery:
    """Post to one robot only (e.g. the administrator's test button)."""
    delivery = _robot_delivery(robot, message, [], timezone.now())
    _queue([delivery])
    return delivery


def _robot_delivery(robot: Robot, message: Message, mobiles: list[str], now: datetime) -> Delivery:
    robot_message = robots.RobotMessage(
        title=message.title,
        body=message.body,
        url=_absolute(message.url) if message.url else "",
        mention_mobiles=tuple(mobiles),
    )
    return Delivery(
        channel=Delivery.Channel.ROBOT,
        robot=robot,
        subject=message.title,
        body=message.body,
        payload=robots.build_payload(robot.platform, robot_message),
        next_attempt_at=now,
        created_at=now,
    )


def _queue(deliveries: list[Delivery]) -> None:
    if deliveries:
        # SQLite (3.35+) and PostgreSQL both return the new ids from a bulk insert.
        created = Delivery.objects.bulk_create(deliveries)
        send_deliveries.enqueue([delivery.pk for delivery in created])


def new_message_id() -> str:
    """A Message-ID in the site's own domain (RFC 5322), made once per email delivery."""
    return make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost")


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=2 ** (attempts - 1))  # 1, 2, 4, 8, 16 minutes


@transaction.atomic
def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    """Take a due delivery for sending, or None if another worker has it, it is not due,
    or its robot has used up this minute's allowance (then it waits for the window)."""
    delivery = (
        Delivery.objects.select_related("robot", "recipient")
        .filter(pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .first()
    )
    if delivery is None:
        return None
    robot = delivery.robot
    if delivery.channel == Delivery.Channel.ROBOT and robot is not None:
        # Lock the robot row so two workers cannot both take the last slot of the minute.
        Robot.objects.select_for_update().filter(pk=robot.pk).first()
        window = Delivery.objects.filter(
            robot=robot, claimed_at__gt=now - timedelta(minutes=1)
        ).order_by("claimed_at")
        if window.count() >= robots.RATE_PER_MINUTE[robot.platform]:
            oldest = window.values_list("claimed_at", flat=True).first() or now
            Delivery.objects.filter(pk=delivery_id).update(
                next_attempt_at=oldest + timedelta(minutes=1)
            )
            return None
    if delivery.channel == Delivery.Channel.EMAIL and not delivery.message_id:
        delivery.message_id = new_message_id()  # a row queued before Message-IDs were kept
    claimed = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.SENDING,
        claimed_at=now,
        claimed_by=current_worker_id(),
        attempts=F("attempts") + 1,
        message_id=delivery.message_id,
    )
    if claimed != 1:
        return None
    delivery.attempts += 1
    return delivery


def _send(delivery: Delivery, now: datetime) -> None:
    """Send it; return once the receiving server or webhook has accepted it. For email,
    `_accepted` is recorded before the SMTP session is closed: closing can fail, and a
    failure after acceptance must not make the message go out a second time."""
    if delivery.channel == Delivery.Channel.EMAIL:
        connection = get_connection()
        connection.open()
        try:
            email = EmailMessage(
                subject=delivery.subject,
                body=delivery.body,
                to=[delivery.address],
                headers={"Message-ID": delivery.message_id},
                connection=connection,
            )
            if delivery.attachment_name:
                email.attach(
                    delivery.attachment_name,
                    bytes(delivery.attachment or b""),
                    mimetypes.guess_type(delivery.attachment_name)[0] or "application/octet-stream",
                )
            email.send()
            fault_point("delivery.accepted")
            _accepted(delivery)
        finally:
            try:
                connection.close()
            except Exception as error:  # the message was accepted: only the goodbye failed
                logger.info("closing the SMTP session after delivery %s: %s", delivery.pk, error)
        return
    robot = delivery.robot
    if robot is None or not robot.enabled:
        raise robots.RobotError("the robot was removed or disabled")
    robots.post(
        robot.platform,
        robot.webhook_url,
        robot.secret,
        delivery.payload,
        int(now.timestamp() * 1000),
    )
    _accepted(delivery)


def _accepted(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    fault_point("delivery.recorded")


def deliver(delivery_id: int) -> str:
    """Send one delivery if it is due: 'sent', 'retry', 'failed' or 'skipped'."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return "skipped"
    fault_point("delivery.claimed")
    try:
        _send(delivery, now)
    except Exception as error:
        final = delivery.attempts >= MAX_ATTEMPTS
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED if final else Delivery.Status.PENDING,
            next_attempt_at=now + _backoff(delivery.attempts),
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        logger.warning("delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, error)
        return "failed" if final else "retry"
    return "sent"


@task()
def send_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    for delivery_id in delivery_ids:
        outcome = deliver(delivery_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@sweep("notify.deliveries")
def sweep_deliveries(now: datetime) -> dict[str, int]:
    """Retry what is due again, and free deliveries a crashed worker left half-sent: at
    once when the claiming worker's lease has run out, after STALE_CLAIM when it was
    claimed outside a worker. Sent again, an email keeps its Message-ID."""
    sending = Delivery.objects.filter(status=Delivery.Status.SENDING)
    orphaned = (
        sending.exclude(claimed_by="")
        .exclude(claimed_by__in=live_worker_ids(now))
        .filter(claimed_at__lt=now - WORKER_ALIVE)
    )
    stale = sending.filter(claimed_by="", claimed_at__lt=now - STALE_CLAIM)
    freed = Delivery.objects.filter(
        pk__in=[*orphaned.values_list("pk", flat=True), *stale.values_list("pk", flat=True)]
    ).update(status=Delivery.Status.PENDING, next_attempt_at=now)
    due = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    if due:
        send_deliveries.enqueue(due)
    return {"due": len(due), "stale": freed}
