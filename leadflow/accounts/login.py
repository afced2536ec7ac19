"""Signing in with lockout after repeated failures, and the confidentiality agreement
every user accepts before first access (SEC-4)."""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.core.audit import audit_record
from leadflow.core.company_settings import define, get_setting, get_settings
from leadflow.core.config_cache import forget_config
from leadflow.core.errors import DomainError

from .models import User

SECURITY = _("Security")
define(
    "security.lockout_attempts",
    5,
    "int",
    _("Failed sign-ins before lockout"),
    SECURITY,
    minimum=1,
    maximum=100,
)
define(
    "security.lockout_minutes",
    15,
    "int",
    _("Lockout duration (minutes)"),
    SECURITY,
    minimum=1,
    maximum=1440,
)
define(
    "security.agreement_version",
    "2026-01",
    "str",
    _("Confidentiality agreement version"),
    SECURITY,
    help=_("Change the version to ask every user to accept the text again."),
)
define(
    "security.agreement_text",
    "本人承诺：严格遵守公司客户信息保密制度，不向任何无关第三方泄露客户信息；"
    "未经客户同意，不将客户信息用于非公司业务目的；因工作需要查阅客户信息时，"
    "仅在授权范围内使用。本人知悉系统记录每一次查看、导出与修改操作。",
    "text",
    _("Confidentiality agreement text"),
    SECURITY,
)


class LoginRefused(DomainError):
    status = 401
    code = "invalid_credentials"


def login_check(*, username: str, password: str) -> User:
    """The user for these credentials, or LoginRefused. Failures are counted and lock the
    account for a while after too many; every outcome is in the audit log."""
    user = User.objects.select_related("role").filter(username=username).first()
    now = timezone.now()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        audit_record(actor=user, action="login.refused_locked", obj=user)
        raise LoginRefused(
            gettext(
                "This account is locked after repeated failed sign-ins. Try again in %(minutes)d "
                "minutes or ask an administrator to unlock it."
            )
            % {"minutes": minutes},
            code="account_locked",
        )
    # The password is hashed whoever asks, so the answer takes as long for a name that
    # does not exist or is inactive as for one that does (no user enumeration by timing).
    if user is None:
        User().set_password(password)
        password_ok = False
    else:
        password_ok = user.check_password(password)
    if user is not None and user.is_active and password_ok:
        if user.failed_login_count or user.locked_until:
            User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        user.last_login = now
        User.objects.filter(pk=user.pk).update(last_login=now)
        audit_record(actor=user, action="login.succeeded", obj=user)
        return user
    if user is not None:
        _count_failure(user, now)
    else:
        audit_record(
            actor=None,
            action="login.failed",
            object_type="accounts.user",
            object_repr=username[:150],
            extra={"reason": "unknown user"},
        )
    raise LoginRefused(gettext("Wrong username or password."))


@transaction.atomic
def _count_failure(user: User, now) -> None:
    limits = get_settings("security.lockout")
    User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
    failures = User.objects.values_list("failed_login_count", flat=True).get(pk=user.pk)
    if failures >= limits["security.lockout_attempts"]:
        locked_until = now + timedelta(minutes=limits["security.lockout_minutes"])
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=locked_until)
        audit_record(
            actor=user,
            action="login.locked",
            obj=user,
            extra={"failures": failures, "until": locked_until.isoformat()},
        )
    else:
        audit_record(actor=user, action="login.failed", obj=user, extra={"failures": failures})


@transaction.atomic
def user_unlock(*, user: User, by: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
    audit_record(actor=by, action="user.unlock", obj=user)


def agreement_current() -> dict[str, str]:
    values = get_settings("security.agreement")
    return {
        "version": values["security.agreement_version"],
        "text": values["security.agreement_text"],
    }


def agreement_needed(user: User) -> bool:
    return user.confidentiality_version != get_setting("security.agreement_version")


@transaction.atomic
def agreement_accept(*, user: User, version: str) -> None:
    current = get_setting("security.agreement_version")
    if version != current:
        raise DomainError(
            gettext("The agreement changed while you were reading it; please read it again."),
            fields={
                "version": gettext("%(version)s is not the current version %(current)s")
                % {"version": version, "current": current}
            },
            code="agreement_outdated",
        )
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(
        confidentiality_version=current, confidentiality_accepted_at=now
    )
    user.confidentiality_version, user.confidentiality_accepted_at = current, now
    forget_config()  # the API's copy of this user (accounts.tokens) must see it at once
    audit_record(actor=user, action="agreement.accept", obj=user, extra={"version": current})
