"""The approval pages and API: 我的待办 with its count, a request page that decides, the
flows an administrator edits, delegation; the API lists, reads, decides, withdraws."""

import pytest

from leadflow.approvals.engine import approval_submit
from leadflow.approvals.models import ApprovalRequest, FlowStep
from leadflow.core.errors import Conflict
from tests.approvals.test_engine import claim

pytestmark = pytest.mark.django_db


def test_my_todo_counts_in_the_navigation_and_decides_on_the_request_page(
    people, claim_flow, client_for
):
    # SPEC: MKT-6 — 我的待办 with counts; approve/reject/return on the request's page
    request = claim(people, 12000)
    head = client_for(people.head)
    todo = head.get("/approvals/").content.decode()
    assert "报销 12000 元" in todo
    assert 'nav-count" title="等待您处理">1</span>' in todo
    page = head.get(f"/approvals/{request.pk}/").content.decode()
    for shown in ("部门负责人审批", "总经理审批", "财务审核", "展会物料"):
        assert shown in page
    assert 'value="approve"' in page
    head.post(f"/approvals/{request.pk}/decide/", {"decision": "approve", "comment": "同意"})
    request.refresh_from_db()
    assert request.current_step["name"] == "总经理审批"
    assert "nav-count" not in head.get("/approvals/").content.decode()
    mine = client_for(people.rep).get("/approvals/?box=mine").content.decode()
    assert "报销 12000 元" in mine
    assert client_for(people.other).get(f"/approvals/{request.pk}/").status_code == 404


def test_the_requester_resubmits_and_withdraws_on_the_page(people, claim_flow, client_for):
    request = claim(people, 100)
    client_for(people.head).post(
        f"/approvals/{request.pk}/decide/", {"decision": "return", "comment": "补充用途"}
    )
    rep = client_for(people.rep)
    assert "resubmit" in rep.get(f"/approvals/{request.pk}/").content.decode()
    rep.post(f"/approvals/{request.pk}/resubmit/", {"reason": "展会物料，附清单"})
    request.refresh_from_db()
    assert (request.state, request.round) == ("pending", 2)
    rep.post(f"/approvals/{request.pk}/withdraw/")
    request.refresh_from_db()
    assert request.state == "withdrawn"


def test_an_administrator_edits_a_flow_with_clear_errors(admin_user, client_for, claim_flow):
    # SPEC: MKT-6 — flows are data, edited in the UI, bad values refused by name
    admin = client_for(admin_user)
    assert "测试报销" in admin.get("/approvals/flows/").content.decode()
    url = f"/approvals/flows/{claim_flow.pk}/"
    refused = admin.post(url, {"name": "", "approver": "role", "deadline_hours": "0"}, follow=True)
    assert refused.status_code == 200
    assert claim_flow.steps.count() == 3
    admin.post(
        url,
        {"name": "法务复核", "approver": "user", "user": admin_user.pk, "deadline_hours": "4"},
    )
    last = claim_flow.steps.order_by("position").last()
    assert (last.name, last.user, last.position) == ("法务复核", admin_user, 4)
    admin.post(url, {"step": last.pk, "action": "up"})
    assert FlowStep.objects.get(pk=last.pk).position == 3
    admin.post(url, {"step": last.pk, "action": "delete"})
    assert list(claim_flow.steps.values_list("position", flat=True)) == [1, 2, 3]


def test_delegation_page(people, client_for):
    page = client_for(people.head)
    assert page.get("/approvals/delegation/").status_code == 200
    page.post(
        "/approvals/delegation/",
        {"delegate": people.other.pk, "starts_on": "2026-12-01", "ends_on": "2026-11-01"},
    )
    assert not people.head.delegations.exists()  # ends before it starts: refused


def test_the_api_lists_reads_decides_and_refuses_clearly(people, claim_flow, api_for):
    # SPEC: MKT-6 — the same engine over HTTP, in the OpenAPI schema
    request = claim(people, 12000)
    head = api_for(people.head)
    [item] = head.get("/api/v1/approvals?box=todo").json()["items"]
    assert (item["id"], item["step"], item["amount"]) == (request.pk, "部门负责人审批", "12000.00")
    refused = head.post(
        f"/api/v1/approvals/{request.pk}/decide",
        {"decision": "reject"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert "comment" in refused.json()["error"]["fields"]
    done = head.post(
        f"/api/v1/approvals/{request.pk}/decide",
        {"decision": "approve"},
        content_type="application/json",
    ).json()
    assert [step["state"] for step in done["steps"]] == ["done", "current", "later"]
    assert done["history"][0]["kind"] == "submitted"
    again = head.post(
        f"/api/v1/approvals/{request.pk}/decide",
        {"decision": "approve"},
        content_type="application/json",
    )
    assert again.status_code == 403  # no longer waiting for them
    assert api_for(people.other).get(f"/api/v1/approvals/{request.pk}").status_code == 404
    withdrawn = api_for(people.rep).post(
        f"/api/v1/approvals/{request.pk}/withdraw", {}, content_type="application/json"
    )
    assert withdrawn.json()["state"] == "withdrawn"


def test_a_kind_without_a_flow_says_so(people, claim_flow):
    claim_flow.delete()
    with pytest.raises(Conflict):
        approval_submit(
            kind="test_claim",
            subject=people.rep.department,
            by=people.rep,
            reason="x",
            title="x",
        )
    assert not ApprovalRequest.objects.exists()
