"""Signing in: argon2, lockout, and the confidentiality agreement (SEC-1, SEC-4)."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import MD5PasswordHasher, make_password
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.accounts.users import user_create
from leadflow.core.company_settings import settings_update
from leadflow.core.models import AuditLog
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(admin_user):
    from leadflow.accounts.models import Role

    user, password = user_create(
        by=admin_user,
        username="newbie",
        display_name="新人",
        role=Role.objects.get(code="sales_rep"),
    )
    assert user.password.startswith("argon2$")
    assert password not in user.password
    assert user.check_password(password)


def test_sign_in_and_out(client, make_user):
    make_user(username="li")
    response = sign_in(client, "li", PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_lockout_after_repeated_failures(client, make_user):
    # SPEC: SEC-1 — five wrong passwords lock the account for 15 minutes (settings).
    user = make_user(username="li")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            response = sign_in(client, "li", "wrong")
            assert (
                "Wrong username or password" in response.content.decode()
                or "用户名或密码错误" in response.content.decode()
            )
        user.refresh_from_db()
        assert user.locked_until == start + timedelta(minutes=15)
        # Even the right password is refused while locked, with a clear message.
        response = sign_in(client, "li", PASSWORD)
        assert response.status_code == 200
        assert client.get("/").status_code == 302
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert sign_in(client, "li", PASSWORD).status_code == 302
    user.refresh_from_db()
    assert (user.failed_login_count, user.locked_until) == (0, None)
    actions = list(
        AuditLog.objects.filter(actor=user).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["login.failed"] * 4 + [
        "login.locked",
        "login.refused_locked",
        "login.succeeded",
    ]


def test_lockout_threshold_is_a_setting(client, make_user, admin_user):
    settings_update(changes={"security.lockout_attempts": 2}, by=admin_user)
    user = make_user(username="li")
    sign_in(client, "li", "wrong")
    sign_in(client, "li", "wrong")
    user.refresh_from_db()
    assert user.is_locked


def test_unknown_user_gets_the_same_message(client):
    response = sign_in(client, "nobody", "x")
    assert response.status_code == 200
    assert AuditLog.objects.filter(action="login.failed", object_repr="nobody").exists()


class CountingHasher(MD5PasswordHasher):
    """A fast hasher that counts how often a password was hashed."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


def test_an_unknown_name_costs_a_password_hash_like_a_known_one(client, make_user, settings):
    # SPEC: SEC-4 — timing told which usernames exist (17 ms against 377 ms)
    settings.PASSWORD_HASHERS = ["tests.accounts.test_login.CountingHasher"]
    make_user(username="li", password=make_password("right"))
    hashed = []
    for username in ("li", "nobody"):
        CountingHasher.calls = 0
        sign_in(client, username, "wrong")
        hashed.append(CountingHasher.calls)
    assert hashed == [1, 1]


def test_a_locked_accounts_api_token_stops_working(client, make_user, api_for):
    # SPEC: SEC-4 — the token kept working while sign-in was locked
    user = make_user(username="li")
    api = api_for(user)
    assert api.get("/api/v1/me").status_code == 200
    for _ in range(5):
        sign_in(client, "li", "wrong")
    assert api.get("/api/v1/me").status_code == 401


def test_admin_unlocks(client, make_user, admin_user, client_for):
    user = make_user(username="li", locked_until=timezone.now() + timedelta(minutes=10))
    response = client_for(admin_user).post(f"/admin/users/{user.pk}/unlock/")
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_locked


def test_first_sign_in_asks_for_the_agreement_and_records_it(client, make_user):
    # SPEC: SEC-4
    user = make_user(username="new", accepted=False)
    sign_in(client, "new", PASSWORD)
    response = client.get("/admin/users/")
    assert response.status_code == 302
    assert response.url.startswith("/agreement/")
    page = client.get(response.url)
    assert "2026-01" in page.content.decode()
    response = client.post(
        "/agreement/", {"version": "2026-01", "accept": "on", "next": "/profile/"}
    )
    assert response.status_code == 302
    assert response.url == "/profile/"
    user.refresh_from_db()
    assert user.confidentiality_version == "2026-01"
    assert user.confidentiality_accepted_at is not None
    assert AuditLog.objects.filter(action="agreement.accept", actor=user).exists()
    assert client.get("/").status_code == 200


def test_a_new_agreement_version_asks_again(client_for, make_user, admin_user):
    user = make_user(username="li")
    client = client_for(user)
    assert client.get("/").status_code == 200
    settings_update(changes={"security.agreement_version": "2027-01"}, by=admin_user)
    assert client.get("/").url.startswith("/agreement/")


def test_api_refuses_until_the_agreement_is_accepted(make_user, api_for):
    user = make_user(username="new", accepted=False)
    response = api_for(user).get("/api/v1/me")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "agreement_required"


def test_deactivated_user_cannot_sign_in(client, make_user):
    make_user(username="gone", is_active=False)
    assert sign_in(client, "gone", PASSWORD).status_code == 200
    assert User.objects.get(username="gone").last_login is None
