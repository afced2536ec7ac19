"""The customers API (CUS-1, CUS-3, CUS-4)."""

import pytest

pytestmark = pytest.mark.django_db


def test_create_change_and_contacts_through_the_api(make_user, api_for):
    # SPEC: CUS-1, CUS-3, CUS-4 — entry, grade, change history, contacts, data scope.
    rep, other = make_user(), make_user()
    api = api_for(rep)
    body = {
        "name": "苏州某某精密机械有限公司",
        "expected_annual_sales": "55",
        "contacts": [{"name": "钱经理", "role": "决策人", "mobile": "139 0013 9001"}],
    }
    created = api.post("/api/v1/customers", body, content_type="application/json")
    assert created.status_code == 201
    customer = created.json()
    assert (customer["grade"], customer["category"], customer["owner"]) == (
        "B",
        "potential",
        str(rep),
    )
    assert customer["contacts"][0]["mobile"] == "+8613900139001"

    again = api.post(
        "/api/v1/customers", {"name": "苏州某某精密机械有限公司"}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json()["error"]["fields"]["customer"] == f"/customers/{customer['id']}/"
    bad = api.post(
        "/api/v1/customers", {"name": "", "satisfaction": 7}, content_type="application/json"
    )
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) >= {"name", "satisfaction"}

    url = f"/api/v1/customers/{customer['id']}"
    changed = api.patch(
        url, {"expected_annual_sales": "150", "intent": "high"}, content_type="application/json"
    )
    assert changed.status_code == 200
    assert changed.json()["grade"] == "A"
    kinds = [event["kind"] for event in changed.json()["events"]]
    assert kinds[:2] == ["graded", "changed"]  # newest first
    unknown = api.patch(url, {"owner": "someone"}, content_type="application/json")
    assert unknown.status_code == 422

    added = api.post(
        f"{url}/contacts",
        {"name": "孙工", "email": "Sun@Example.cn"},
        content_type="application/json",
    )
    assert (added.status_code, added.json()["email"]) == (201, "sun@example.cn")

    assert api_for(other).get(url).status_code == 404
    assert (
        api_for(other).patch(url, {"intent": "low"}, content_type="application/json").status_code
        == 404
    )
