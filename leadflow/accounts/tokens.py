"""Personal API tokens: `Authorization: Bearer lf_…`. Only a SHA-256 digest is kept, so a
leaked database does not leak working tokens; the token has 256 bits of randomness, which
makes a slow hash unnecessary."""

import copy
import hashlib
import secrets
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from leadflow.core.audit import audit_record
from leadflow.core.config_cache import cached_config, forget_config
from leadflow.core.errors import ValidationFailed

from .models import ApiToken, User

TOKEN_PREFIX = "lf_"  # noqa: S105 - a marker, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, user: User, name: str, by: User | None = None, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user` and the raw value, which is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            gettext("Give the token a name, e.g. the system that will use it."),
            fields={"name": gettext("must not be empty")},
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(
            gettext("The expiry must be in the future."),
            fields={"expires_at": expires_at.isoformat()},
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:60], prefix=raw[:10], digest=_digest(raw), expires_at=expires_at
    )
    audit_record(actor=by or user, action="token.create", obj=token, extra={"user": user.username})
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User) -> None:
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        forget_config()
        audit_record(
            actor=by, action="token.revoke", obj=token, extra={"user": token.user.username}
        )


def token_user(raw: str) -> User | None:
    """The active user a raw token belongs to, or None. The token and its user are kept
    per process for a few seconds (core.config_cache): a revocation or a deactivation
    counts everywhere within that time, at once in the process that made it."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    digest = _digest(raw)
    token = cached_config(f"token:{digest}", partial(_live_token, digest), remember_none=False)
    now = timezone.now()
    if token is None or not token.user.is_active or token.user.is_locked:
        return None  # a locked account's tokens stop with its sign-in (SEC-4)
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        # At most one write a minute per token, not one per request.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return copy.copy(token.user)  # each request its own, as if read for it alone


def _live_token(digest: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user", "user__role", "user__department")
        .filter(digest=digest, revoked_at__isnull=True)
        .first()
    )
