"""Data scope, enforced in one place for the UI, the API and exports (SEC-1)."""

import io

import pytest
from openpyxl import load_workbook

from leadflow.accounts.scope import visible_to
from leadflow.core.models import AuditLog
from tests.scoped_app.models import Memo

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org, make_user):
    return {
        "li": make_user("sales_rep", username="li", team=org.east),
        "zhang": make_user("sales_rep", username="zhang", team=org.east),
        "chen": make_user("sales_rep", username="chen", team=org.north),
        "east_lead": make_user("sales_rep", username="lead", team=org.east),
        "sales_manager": make_user("sales_manager", username="mgr", department=org.sales),
        "region_manager": make_user("sales_manager", username="rmgr", department=org.east_region),
        "boss": make_user("management", username="boss", department=org.company),
        "marketing_manager": make_user("sales_manager", username="mkt", department=org.marketing),
    }


@pytest.fixture
def memos(people):
    return {
        name: Memo.objects.create(owner=user, title=f"memo of {name}")
        for name, user in people.items()
    }


def titles(user) -> set[str]:
    return set(visible_to(user, Memo.objects.all()).values_list("title", flat=True))


def test_each_scope_sees_what_it_should(people, memos, org):
    # SPEC: SEC-1
    assert titles(people["li"]) == {"memo of li"}
    assert titles(people["boss"]) == {f"memo of {name}" for name in people}
    # Department and below: 销售部 holds 华北组 directly and 华东一组 through 华东大区.
    assert titles(people["sales_manager"]) == {
        "memo of li",
        "memo of zhang",
        "memo of chen",
        "memo of east_lead",
        "memo of sales_manager",
        "memo of region_manager",
    }
    assert titles(people["region_manager"]) == {
        "memo of li",
        "memo of zhang",
        "memo of east_lead",
        "memo of region_manager",
    }
    assert titles(people["marketing_manager"]) == {"memo of marketing_manager"}


def test_team_scope(people, memos, org):
    from leadflow.accounts.models import Role

    Role.objects.filter(code="sales_rep").update(scope="team")
    people["li"].refresh_from_db()
    assert titles(people["li"]) == {"memo of li", "memo of zhang", "memo of east_lead"}


def test_deactivated_user_sees_nothing(people, memos):
    people["boss"].is_active = False
    assert titles(people["boss"]) == set()


def test_own_scope_cannot_read_another_reps_record_in_the_ui(people, memos, client_for):
    # SPEC: SEC-1 — through the UI
    client = client_for(people["li"])
    assert client.get("/memos/").content.decode() == "memo of li"
    assert client.get(f"/memos/{memos['li'].pk}/").status_code == 200
    assert client.get(f"/memos/{memos['zhang'].pk}/").status_code == 404


def test_own_scope_cannot_read_another_reps_record_through_the_api(people, memos, api_for):
    # SPEC: SEC-1 — through the API
    api = api_for(people["li"])
    assert [m["title"] for m in api.get("/api/v1/memos").json()] == ["memo of li"]
    response = api.get(f"/api/v1/memos/{memos['zhang'].pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_own_scope_export_holds_only_own_records(people, memos, client_for):
    # SPEC: SEC-1, ANA-6 — through an export; the rep's role lacks the export right at first.
    client = client_for(people["li"])
    assert client.get("/memos/?export=xlsx").status_code == 403
    from leadflow.accounts.models import Role

    Role.objects.filter(code="sales_rep").update(permissions=["data.export"])
    response = client.get("/memos/?export=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert list(sheet.iter_rows(values_only=True)) == [
        ("id", "title"),
        (memos["li"].pk, "memo of li"),
    ]
    csv_text = client.get("/memos/?export=csv").content.decode("utf-8-sig")
    assert csv_text.splitlines() == ["id,title", f"{memos['li'].pk},memo of li"]
    # SPEC: SEC-3 — every export is logged with who and how many rows.
    exports = AuditLog.objects.filter(action="export", actor=people["li"])
    assert [(e.object_repr, e.extra["rows"]) for e in exports.order_by("id")] == [
        ("memos.xlsx", 1),
        ("memos.csv", 1),
    ]
