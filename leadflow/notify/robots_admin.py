"""Robot webhooks per team: configure, test."""

import urllib.parse

from django.db import transaction
from django.utils.translation import gettext

from leadflow.accounts.models import Team, User
from leadflow.core.audit import audit_record, changed_fields, snapshot
from leadflow.core.errors import ValidationFailed

from .delivery import Message, notify_robot
from .models import Platform, Robot

FIELDS = ["team", "platform", "name", "webhook_url", "enabled"]


def _check(*, platform: str, name: str, webhook_url: str) -> None:
    errors = {}
    if platform not in Platform.values:
        errors["platform"] = f"{platform!r} is not one of {', '.join(Platform.values)}"
    if not name.strip():
        errors["name"] = "must not be empty"
    parts = urllib.parse.urlsplit(webhook_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors["webhook_url"] = f"{webhook_url!r} is not an http(s) URL"
    if errors:
        raise ValidationFailed(gettext("Please correct the marked fields."), fields=errors)


@transaction.atomic
def robot_create(
    *, by: User, team: Team, platform: str, name: str, webhook_url: str, secret: str = ""
) -> Robot:
    _check(platform=platform, name=name, webhook_url=webhook_url)
    robot = Robot.objects.create(
        team=team,
        platform=platform,
        name=name.strip(),
        webhook_url=webhook_url.strip(),
        secret=secret.strip(),
    )
    audit_record(
        actor=by,
        action="robot.create",
        obj=robot,
        changes=changed_fields({}, snapshot(robot, FIELDS)),
    )
    return robot


@transaction.atomic
def robot_update(
    *, by: User, robot: Robot, name: str, webhook_url: str, enabled: bool, secret: str | None = None
) -> Robot:
    _check(platform=robot.platform, name=name, webhook_url=webhook_url)
    before = snapshot(robot, FIELDS)
    robot.name, robot.webhook_url, robot.enabled = name.strip(), webhook_url.strip(), enabled
    if secret is not None:  # an empty form field keeps the stored secret
        robot.secret = secret.strip()
    robot.save()
    changes = changed_fields(before, snapshot(robot, FIELDS))
    if secret is not None:
        changes["secret"] = ["***", "***"]
    audit_record(actor=by, action="robot.update", obj=robot, changes=changes)
    return robot


@transaction.atomic
def robot_delete(*, by: User, robot: Robot) -> None:
    audit_record(actor=by, action="robot.delete", obj=robot)
    robot.delete()


def robot_test(*, by: User, robot: Robot) -> None:
    """Post a test message to the robot (through the normal outbox and delivery log)."""
    notify_robot(
        robot,
        Message(
            title=gettext("leadflow test message"),
            body=gettext("%(user)s checked the robot %(robot)s.")
            % {"user": by, "robot": robot.name},
        ),
    )
