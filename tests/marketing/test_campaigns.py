"""Campaigns (MKT-2, ANA-5): the plan's state machine through the approvals engine, tasks,
attribution only once started, and an evaluation whose every figure is worked out here."""

from datetime import date
from decimal import Decimal

import pytest

from leadflow.approvals.engine import approval_decide, approval_resubmit
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.leads.stages import lead_stage_set
from leadflow.marketing.campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_end,
    campaign_evaluate,
    campaign_start,
    campaign_submit,
    campaign_update,
    remind_overdue_tasks,
    task_add,
    task_done,
)
from leadflow.marketing.expenses import claim_request, claim_submit
from leadflow.marketing.models import Campaign, ExpenseCategory
from leadflow.notify.models import Notification
from tests.leads.conftest import accepted_lead
from tests.marketing.conftest import JUNE, PLAN, approve_all, running_campaign

pytestmark = pytest.mark.django_db


def state(campaign) -> str:
    campaign.refresh_from_db()
    return campaign.state


def test_a_plan_is_reviewed_then_approved_then_runs(team):
    # SPEC: MKT-2 — draft → in review (head) → awaiting approval (management) → approved
    campaign = campaign_create(values=PLAN, by=team.planner)
    assert (state(campaign), campaign.owner, campaign.department) == (
        "draft",
        team.planner,
        team.planner.department,
    )
    with pytest.raises(Conflict, match="不能启动"):
        campaign_start(campaign=campaign, by=team.planner)
    request = campaign_submit(campaign=campaign, by=team.planner)
    assert state(campaign) == "in_review"
    approval_decide(request=request, by=team.head, decision="approve")
    assert state(campaign) == "awaiting"
    with pytest.raises(Conflict, match="不能修改"):
        campaign_update(campaign=campaign, values=PLAN, by=team.planner)
    approval_decide(request=request, by=team.ceo, decision="approve")
    assert state(campaign) == "approved"
    campaign_start(campaign=campaign, by=team.planner)
    assert state(campaign) == "running"
    with pytest.raises(Conflict):
        campaign_cancel(campaign=campaign, by=team.planner, reason="太贵")
    kinds = list(campaign.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds == ["created", "submitted", "in_review", "awaiting", "approved", "started"]


def test_returned_plans_are_changed_and_resubmitted_rejected_ones_cancelled(team):
    # SPEC: MKT-2 — returned for changes, edited, resubmitted; a rejection cancels it
    campaign = campaign_create(values=PLAN, by=team.planner)
    request = campaign_submit(campaign=campaign, by=team.planner)
    approval_decide(request=request, by=team.head, decision="return", comment="预算太高")
    assert state(campaign) == "returned"
    campaign_update(campaign=campaign, values={**PLAN, "theme": "精益产线"}, by=team.planner)
    approval_resubmit(request=request, by=team.planner, reason="已压缩预算")
    assert state(campaign) == "in_review"
    request.refresh_from_db()
    assert request.snapshot["theme"] == "精益产线"  # the resubmission is what is approved
    approval_decide(request=request, by=team.head, decision="reject", comment="今年不办")
    assert state(campaign) == "cancelled"


def test_bad_plans_are_refused_by_field(team):
    # SPEC: MKT-2 — a clear error naming each field; nothing saved
    with pytest.raises(ValidationFailed) as refused:
        campaign_create(
            values={**PLAN, "name": "", "form": "parade", "ends_on": date(2026, 2, 1)},
            by=team.planner,
        )
    assert set(refused.value.fields) == {"name", "form", "ends_on"}
    assert not Campaign.objects.exists()
    with pytest.raises(Forbidden):
        campaign_update(
            campaign=campaign_create(values=PLAN, by=team.planner), values=PLAN, by=team.stranger
        )


def test_leads_are_attributed_only_to_a_started_campaign(team, capture):
    # SPEC: MKT-2 — leads can only be attributed to a campaign that has started
    draft = campaign_create(values={**PLAN, "name": "未开始"}, by=team.planner)
    with pytest.raises(ValidationFailed) as refused:
        capture(campaign_id=draft.pk)
    assert "campaign_id" in refused.value.fields
    running = running_campaign(team)
    assert capture(campaign_id=running.pk).lead.campaign_id == running.pk


def test_tasks_show_progress_and_remind_once_when_overdue(team):
    # SPEC: MKT-2 — tasks with owners and due dates; overdue ones remind their owner
    campaign = running_campaign(team)
    with pytest.raises(ValidationFailed):
        task_add(campaign=campaign, by=team.planner, title="", due_on=None)
    booth = task_add(
        campaign=campaign,
        by=team.planner,
        title="展位搭建",
        due_on=date(2026, 6, 10),
        assignee=team.head,
    )
    task_add(
        campaign=campaign,
        by=team.planner,
        title="邀请客户",
        due_on=date(2026, 6, 20),
        assignee=team.planner,
    )
    assert remind_overdue_tasks(JUNE) == {"reminded": 1}
    assert remind_overdue_tasks(JUNE) == {"reminded": 0}
    assert Notification.objects.filter(recipient=team.head, title__contains="展位搭建").count() == 2
    with pytest.raises(Forbidden):
        task_done(task=booth, by=team.stranger)
    task_done(task=booth, by=team.head)
    with pytest.raises(Conflict):
        task_done(task=booth, by=team.head)


def test_the_evaluation_works_out_every_figure(team, capture, rep, budget_2026):
    # SPEC: MKT-2, ANA-5 — computed, never typed in; each against its target
    campaign = running_campaign(team)
    leads = [
        accepted_lead(
            capture,
            rep,
            name=f"客户{n}公司",
            mobile=f"1390013000{n}",
            email="",
            campaign_id=campaign.pk,
        )
        for n in range(4)
    ]
    type(leads[0]).objects.filter(pk__in=[leads[0].pk, leads[1].pk]).update(grade="A")
    type(leads[0]).objects.filter(pk=leads[2].pk).update(grade="B")
    type(leads[0]).objects.filter(pk=leads[3].pk).update(grade="C")
    lead_stage_set(
        lead=leads[0],
        stage="won",
        fact="签约",
        by=rep,
        deal_amount=Decimal("60000"),
        deal_date=date(2026, 6, 1),
    )
    promotion = ExpenseCategory.objects.get(code="promotion")
    paid = claim_submit(
        values={
            "category": promotion,
            "amount": "3000",
            "spent_on": date(2026, 3, 2),
            "reason": "展位费",
            "campaign": campaign,
        },
        by=team.planner,
    )
    approve_all(claim_request(paid), team.head, team.ceo, team.cashier)
    claim_submit(  # still in approval: not a cost yet
        values={
            "category": promotion,
            "amount": "1000",
            "spent_on": date(2026, 3, 3),
            "reason": "物料",
            "campaign": campaign,
        },
        by=team.planner,
    )
    campaign_end(campaign=campaign, by=team.planner)
    with pytest.raises(ValidationFailed):
        campaign_evaluate(campaign=campaign, by=team.planner, participants=45, lessons="")
    campaign_evaluate(
        campaign=campaign,
        by=team.planner,
        participants=45,
        satisfaction="4.2",
        lessons="展位位置好，邀约不足",
    )
    campaign.refresh_from_db()
    figures = campaign.evaluation
    assert (figures["leads"], figures["a_leads"], figures["converted"]) == (4, 2, 1)
    assert figures["grades"] == {"A": 2, "B": 1, "C": 1}
    assert (figures["sales"], figures["cost"]) == ("60000.00", "3000.00")
    assert figures["cost_per_lead"] == "750.00"  # 3000 / 4
    assert figures["cost_per_a_lead"] == "1500.00"  # 3000 / 2
    assert figures["roi"] == "19.00"  # (60000 − 3000) / 3000
    assert (figures["participants"], figures["satisfaction"]) == (45, "4.20")
    with pytest.raises(Conflict):  # read-only once evaluated
        campaign_evaluate(campaign=campaign, by=team.planner, participants=50, lessons="x")
