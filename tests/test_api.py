"""The REST API contract: OpenAPI, token auth, and one error format (SEC-5)."""

from datetime import date

import pytest
from django.core.management import call_command
from django.test import Client

from leadflow.accounts.models import ApiToken
from leadflow.core.models import CompanyHoliday

pytestmark = pytest.mark.django_db


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_openapi_and_docs_are_published(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "leadflow API"
    assert "/api/v1/me" in schema["paths"]
    assert "bearer" in str(schema["components"]["securitySchemes"]).lower()
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"/api/v1/openapi.json" in docs.content


def test_missing_or_wrong_token_is_401_in_the_error_format(client):
    assert error_of(client.get("/api/v1/me"))["code"] == "unauthenticated"
    wrong = Client(headers={"Authorization": "Bearer lf_not-a-real-token"})
    response = wrong.get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_token_identifies_the_user_and_only_its_hash_is_stored(make_user, api_for):
    user = make_user(username="li")
    api = api_for(user)
    me = api.get("/api/v1/me").json()
    assert (me["username"], me["data_scope"]) == ("li", "own")
    raw = api.defaults["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    stored = ApiToken.objects.get(user=user)
    assert raw not in (stored.digest, stored.prefix)
    assert stored.last_used_at is not None


def test_revoked_token_stops_working(make_user, api_for):
    user = make_user(username="li")
    api = api_for(user)
    token_id = ApiToken.objects.get(user=user).pk
    assert api.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    assert api.get("/api/v1/me").status_code == 401


def test_token_command_prints_a_working_token(make_user, capsys):
    make_user(username="li")
    call_command("token", "create", "li")
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("lf_")
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me")
    assert response.json()["username"] == "li"


def test_validation_error_names_the_field(admin_user, api_for):
    response = api_for(admin_user).put(
        "/api/v1/holidays",
        {"date": "2026-13-01", "kind": "day_off"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "date" in error_of(response)["fields"]


def test_domain_error_names_field_value_and_reason_and_changes_nothing(admin_user, api_for):
    # SPEC: SEC-5
    response = api_for(admin_user).patch(
        "/api/v1/settings",
        {"security.lockout_attempts": 3, "worktime.day_start": "9am"},
        content_type="application/json",
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_setting"
    assert error["fields"] == {"worktime.day_start": "not a time of day HH:MM: '9am'"}
    settings = {s["key"]: s["value"] for s in api_for(admin_user).get("/api/v1/settings").json()}
    assert settings["security.lockout_attempts"] == 5


def test_permission_is_checked(make_user, api_for):
    response = api_for(make_user(username="li")).get("/api/v1/audit")
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def test_unknown_endpoint_is_json_404(client):
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_server_error_never_shows_a_stack_trace(admin_user, api_for, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("leadflow.core.api.holiday_set", explode)
    response = api_for(admin_user).put(
        "/api/v1/holidays",
        {"date": "2026-10-09", "kind": "day_off"},
        content_type="application/json",
    )
    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_error"
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


def test_holidays_and_worktime_through_the_api(admin_user, api_for):
    api = api_for(admin_user)
    response = api.put(
        "/api/v1/holidays",
        {"date": "2026-03-09", "kind": "day_off", "name": "年会"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert CompanyHoliday.objects.get().date == date(2026, 3, 9)
    due = api.get("/api/v1/worktime/add", {"start": "2026-03-06T17:00:00+08:00", "hours": 2}).json()
    assert due["due"] == "2026-03-10T10:00:00+08:00"
    naive = api.get("/api/v1/worktime/add", {"start": "2026-03-06T17:00:00", "hours": 2})
    assert error_of(naive)["fields"] == {"start": "缺少时区"}
    # Found by schemathesis: year 117 came back with Shanghai's local mean time (+08:05:43).
    ancient = api.get("/api/v1/worktime/add", {"start": "0117-01-11T02:19:27Z", "hours": 1})
    assert (ancient.status_code, error_of(ancient)["fields"]) == (
        422,
        {"start": "年份 117 超出范围"},
    )


def test_session_api_needs_csrf_for_writes(make_user):
    user = make_user(username="li")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/me").status_code == 200
    response = client.post("/api/v1/notifications/read", {}, content_type="application/json")
    assert response.status_code in (401, 403)


def test_audit_is_paged_by_cursor(admin_user, api_for):
    api = api_for(admin_user)
    for day in range(1, 8):
        api.put(
            "/api/v1/holidays",
            {"date": f"2026-10-{day:02d}", "kind": "day_off"},
            content_type="application/json",
        )
    first = api.get("/api/v1/audit", {"action": "holiday.", "limit": 4}).json()
    assert len(first["items"]) == 4
    second = api.get(
        "/api/v1/audit", {"action": "holiday.", "limit": 4, "cursor": first["next_cursor"]}
    ).json()
    assert len(second["items"]) == 3
    assert second["next_cursor"] is None
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    bad = api.get("/api/v1/audit", {"cursor": "garbage"})
    assert error_of(bad)["fields"] == {"cursor": "不是本接口给出的游标"}


def test_a_number_beyond_64_bits_is_a_clear_422(make_user, api_for):
    # Found by schemathesis: SQLite raised OverflowError (a 500) on ids past 2**63.
    response = api_for(make_user()).post(
        "/api/v1/notifications/read", {"ids": [2**70]}, content_type="application/json"
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
