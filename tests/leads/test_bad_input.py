"""Bad input gets a clear error naming the field and changes nothing, the same on SQLite
and PostgreSQL (SEC-5, LEAD-CLN-1)."""

import json

import pytest
from django.conf import settings
from django.utils import timezone

from leadflow.customers.models import Customer
from leadflow.leads.demo import demo_leads_create
from leadflow.leads.models import FollowUp, Lead
from tests.leads.conftest import accepted_lead
from tests.leads.test_api import BODY

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(make_user, api_for):
    return api_for(make_user("marketing", username="zhao"))


def _post_raw(api, path: str, raw: str):
    return api.post(path, raw, content_type="application/json")


def test_a_body_over_the_limit_is_413_not_500(api):
    # SPEC: SEC-5
    huge = {**BODY, "need": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    response = _post_raw(api, "/api/v1/leads", json.dumps(huge))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("escaped", "reason"),
    [("\\ud800", "孤立的 UTF-16 代理字符"), ("\\u0000", "空字符（NUL）")],
)
def test_unstorable_characters_in_json_are_named(api, escaped, reason):
    # SPEC: SEC-5 — a 500 on PostgreSQL, stored on SQLite before
    raw = json.dumps({**BODY, "need": "采购PLACEHOLDER设备"}).replace("PLACEHOLDER", escaped)
    response = _post_raw(api, "/api/v1/leads", raw)
    assert response.status_code == 422
    assert reason in response.json()["error"]["fields"]["need"]
    assert not Lead.objects.exists()


def test_nested_unstorable_text_is_named_by_its_path(make_user, api_for):
    # SPEC: SEC-5
    api = api_for(make_user())
    body = {"name": "苏州某某精密机械有限公司", "contacts": [{"name": "钱\u0000经理"}]}
    response = api.post("/api/v1/customers", body, content_type="application/json")
    assert response.status_code == 422
    assert "NUL" in response.json()["error"]["fields"]["contacts.0.name"]
    assert not Customer.objects.exists()


def test_an_over_long_value_is_refused_by_name_on_both_databases(capture, rep, api_for):
    # SPEC: SEC-5 — SQLite stored it, PostgreSQL answered a DataError naming no field
    lead = accepted_lead(capture, rep)
    body = {
        "contact_at": timezone.now().isoformat(),
        "method": "phone",
        "feedback": "客户在比较方案",
        "next_step": "发" * 201,
    }
    response = api_for(rep).post(
        f"/api/v1/leads/{lead.pk}/follow-ups", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"next_step": "超过 200 个字"}
    assert not FollowUp.objects.exists()


def test_letters_in_a_phone_are_refused_not_read_as_keypad_digits(api):
    # SPEC: LEAD-CLN-1
    response = _post_raw(api, "/api/v1/leads", json.dumps({**BODY, "mobile": "139abc45678"}))
    assert response.status_code == 422
    assert "含有字母" in response.json()["error"]["fields"]["mobile"]
    assert not Lead.objects.exists()


def test_an_acquisition_before_2000_is_refused(api):
    # SPEC: LEAD-CAP-3, SEC-5
    body = {**BODY, "acquired_at": "1900-01-01T09:00:00+08:00"}
    response = _post_raw(api, "/api/v1/leads", json.dumps(body))
    assert response.status_code == 422
    reason = response.json()["error"]["fields"]["acquired_at"]
    assert reason == "'1900-01-01T09:00:00+08:00' 早于 2000-01-01"


@pytest.mark.parametrize("value", [{"a": 1}, ["苏州", "某某"]])
def test_the_public_form_refuses_a_json_object_or_list_as_a_field(client, value):
    # SPEC: SEC-5 — it was stored as Python text ("{'a': 1}")
    demo_leads_create()
    body = {
        "name": "深圳某某电子有限公司",
        "mobile": "13912345678",
        "industry": "电子",
        "need": value,
        "consent": True,
    }
    response = client.post(
        "/f/demo", body, content_type="application/json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["need"] == "expected text, not a list or an object"
    assert not Lead.objects.exists()


def test_the_public_form_refuses_a_nul_character(client):
    # SPEC: SEC-5
    demo_leads_create()
    body = {
        "name": "深圳某某电子有限公司",
        "mobile": "13912345678",
        "industry": "电子",
        "need": "报价\u0000",
        "consent": "on",
    }
    response = client.post("/f/demo", body, HTTP_ACCEPT="application/json")
    assert response.status_code == 422
    assert "NUL" in response.json()["error"]["fields"]["need"]
    assert not Lead.objects.exists()


def test_a_nul_in_a_query_string_is_refused_by_name_on_both_databases(
    make_user, api_for, client_for
):
    # SPEC: SEC-5 — found by the API fuzzing on PostgreSQL: a filter holding a NUL was a 500
    manager = make_user("marketing", username="qian")
    response = api_for(manager).get("/api/v1/reassign-requests?state=%00x")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"state": "含有空字符（NUL）"}
    page = client_for(manager).get("/leads/?q=%00")
    assert page.status_code == 422
