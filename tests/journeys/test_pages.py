"""Journey pages (AUT-1): the guide's journeys as starting points, the editor saving a new
version, a broken branch refused, start and pause, the dry run, a lead's journey steps."""

import pytest

from leadflow.journeys.models import Journey
from tests.mailing.conftest import lead

pytestmark = pytest.mark.django_db


def test_from_the_guide_to_a_started_journey(marketer, client_for, make_user):
    # SPEC: AUT-1 — the guide's two journeys ship as templates; steps edited as a list
    page = client_for(marketer)
    page.post("/journeys/", {"template": "quick"})
    journey = Journey.objects.get(name="A类快速转化旅程")
    assert [s["kind"] for s in journey.current.steps][:4] == ["email", "notify", "wait", "branch"]
    lead("甲公司", "jia@example.cn")
    shown = page.get(f"/journeys/{journey.pk}/").content.decode()
    assert "试运行" in shown  # the dry run: nothing sent
    rows = {"rows": "2", "name": journey.name, "trigger": "score_up", "threshold": "30"}
    broken = rows | {"id_0": "a", "kind_0": "branch", "yes_0": "b", "no_0": "nowhere"}
    refused = page.post(f"/journeys/{journey.pk}/", broken, follow=True).content.decode()
    assert "分支的两条路都要指向一个步骤" in refused
    fixed = rows | {"id_0": "a", "kind_0": "wait", "hours_0": "2", "id_1": "b", "kind_1": "exit"}
    page.post(f"/journeys/{journey.pk}/", fixed)
    assert journey.versions.count() == 2  # a new version; the first kept
    page.post(f"/journeys/{journey.pk}/", {"action": "active"})
    journey.refresh_from_db()
    assert journey.state == "active"
    assert client_for(make_user()).get("/journeys/").status_code == 404


def test_the_api_builds_starts_and_lists(marketer, template, api_for):
    # SPEC: AUT-1 — journeys and enrolments in the OpenAPI schema
    api = api_for(marketer)
    body = {
        "name": "接口旅程",
        "trigger": {"kind": "manual"},
        "steps": [
            {"id": "a", "kind": "email", "template": template.pk},
            {"id": "b", "kind": "exit"},
        ],
    }
    created = api.post("/api/v1/journeys", body, content_type="application/json")
    assert created.status_code == 201
    journey_id = created.json()["id"]
    assert api.post(f"/api/v1/journeys/{journey_id}/activate").json()["state"] == "active"
    found = lead("甲公司", "jia@example.cn")
    entered = api.post(
        f"/api/v1/journeys/{journey_id}/enrol",
        {"leads": [found.pk]},
        content_type="application/json",
    )
    assert entered.json() == {"entered": 1}
    [enrolment] = api.get(f"/api/v1/journeys/{journey_id}/enrollments").json()
    assert (enrolment["lead_id"], enrolment["step"]) == (found.pk, "a")
    bad = body | {"name": "坏旅程", "steps": [{"id": "a", "kind": "teleport"}]}
    refused = api.post("/api/v1/journeys", bad, content_type="application/json")
    assert refused.json()["error"]["fields"]["steps.1"] == "未知的步骤类型"


def test_bad_numbers_and_fields_are_refused_by_name_and_nothing_is_saved(marketer, api_for):
    # SPEC: AUT-1 — bad input gets a clear error (field, value, reason) and changes nothing
    api = api_for(marketer)
    body = {
        "name": "坏旅程",
        "trigger": {"kind": "score_up", "threshold": "三十"},
        "entry": {"mobile": "13800138000"},
        "goal": {"score": "很高"},
        "steps": [
            {"id": "w", "kind": "wait", "hours": "abc"},
            {"id": "r", "kind": "robot", "robot": "x"},
            {"id": "b", "kind": "branch", "if": {"score_at_least": "高"}, "yes": "w", "no": "r"},
            {"id": "t", "kind": "task", "hours": "nan"},
        ],
    }
    answer = api.post("/api/v1/journeys", body, content_type="application/json")
    assert answer.status_code == 422
    fields = answer.json()["error"]["fields"]
    assert set(fields) == {"trigger", "entry", "goal", "steps.1", "steps.2", "steps.3", "steps.4"}
    assert not Journey.objects.exists()


def test_the_editor_refuses_a_bad_threshold_and_a_bad_enrolment_id(marketer, client_for):
    # SPEC: AUT-1 — bad input from the page: a message, nothing saved, never a 500
    page = client_for(marketer)
    form = {"name": "坏门槛", "trigger": "score_up", "threshold": "三十", "rows": "1"}
    form.update({"id_0": "w", "kind_0": "wait", "hours_0": "2"})
    answer = page.post("/journeys/new/", form)
    assert answer.status_code == 302
    assert not Journey.objects.exists()
    form["threshold"] = "30"
    page.post("/journeys/new/", form)
    journey = Journey.objects.get()
    assert journey.trigger == {"kind": "score_up", "threshold": "30"}
    gone = page.post(f"/journeys/{journey.pk}/", {"action": "retry", "enrollment": "x"})
    assert gone.status_code == 404
