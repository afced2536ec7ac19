"""API tokens kept per process for a few seconds (accounts.tokens, core.config_cache)."""

import pytest
from django.test import override_settings

from leadflow.accounts.models import ApiToken
from leadflow.accounts.tokens import token_create, token_revoke, token_user
from leadflow.accounts.users import user_update

pytestmark = pytest.mark.django_db


@override_settings(LEADFLOW_CONFIG_CACHE_SECONDS=2)
def test_a_revoked_token_stops_at_once_here_and_within_seconds_elsewhere(
    config_clock, make_user, admin_user, django_capture_on_commit_callbacks
):
    # SPEC: SEC-1 — access ends when an administrator revokes it.
    user = make_user()
    token, raw = token_create(user=user, name="crm sync")
    assert token_user(raw).pk == user.pk

    ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.created_at)  # another process
    assert token_user(raw) is not None  # this process's copy is a second old
    config_clock[0] += 2.5
    assert token_user(raw) is None

    other, raw_other = token_create(user=user, name="second")
    assert token_user(raw_other) is not None
    with django_capture_on_commit_callbacks(execute=True):
        token_revoke(token=other, by=admin_user)  # in this process: no delay at all
    assert token_user(raw_other) is None


@override_settings(LEADFLOW_CONFIG_CACHE_SECONDS=2)
def test_a_deactivated_user_loses_api_access_at_once(
    config_clock, make_user, admin_user, django_capture_on_commit_callbacks
):
    # SPEC: SEC-1
    user = make_user()
    _, raw = token_create(user=user, name="crm sync")
    assert token_user(raw) is not None
    with django_capture_on_commit_callbacks(execute=True):
        user_update(
            by=admin_user,
            user=user,
            display_name=user.display_name,
            email=user.email,
            mobile=user.mobile,
            department=user.department,
            team=user.team,
            role=user.role,
            is_active=False,
        )
    assert token_user(raw) is None
