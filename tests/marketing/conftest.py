"""People of a small marketing department, a budget in force and a campaign helper."""

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.accounts.models import Department
from leadflow.approvals.engine import approval_decide
from leadflow.approvals.models import ApprovalRequest
from leadflow.marketing.budgets import LineIn, budget_draft, budget_submit
from leadflow.marketing.campaigns import campaign_create, campaign_start, campaign_submit
from leadflow.marketing.models import Campaign, ExpenseCategory
from tests.leads.conftest import capture, rep  # noqa: F401 - fixtures used here too

JUNE = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def in_june():
    """Marketing's tests live on 2026-06-15: the spring campaign is past, claims dated."""
    with time_machine.travel(JUNE, tick=False):
        yield


PLAN = {
    "name": "2026 春季工业展",
    "objective": "leads",
    "form": "exhibition",
    "theme": "智能产线",
    "starts_on": date(2026, 3, 1),
    "ends_on": date(2026, 3, 3),
    "place": "上海国家会展中心",
    "target_participants": 50,
    "target_leads": 10,
    "target_a_leads": 2,
    "target_sales": Decimal("100000"),
    "target_satisfaction": Decimal("4.5"),
}


@pytest.fixture
def team(org, make_user):
    """市场部 headed by 钱主管; 赵总 and 吴总 in management; 孙会计 in finance."""
    head = make_user("marketing", department=org.marketing, display_name="钱主管")
    Department.objects.filter(pk=org.marketing.pk).update(manager=head)
    planner = make_user("marketing", department=org.marketing, display_name="郑策划")
    ceo = make_user("management", display_name="赵总")
    cfo = make_user("management", display_name="吴总")
    cashier = make_user("finance", display_name="孙会计")
    sales_head = make_user("sales_manager", department=org.sales, display_name="王经理")
    Department.objects.filter(pk=org.sales.pk).update(manager=sales_head)
    stranger = make_user(team=org.east, display_name="周强")  # a rep in 华东一组
    return SimpleNamespace(
        sales_head=sales_head,
        head=head,
        planner=planner,
        ceo=ceo,
        cfo=cfo,
        cashier=cashier,
        stranger=stranger,
    )


def approve_all(request: ApprovalRequest, *approvers) -> ApprovalRequest:
    """Each step approved by the first of `approvers` it waits for."""
    for _ in range(10):
        request.refresh_from_db()
        if request.state != ApprovalRequest.State.PENDING:
            return request
        waiting = set(
            request.tasks.filter(state="waiting", step_index=request.step_index).values_list(
                "approver_id", flat=True
            )
        )
        approver = next(person for person in approvers if person.pk in waiting)
        approval_decide(request=request, by=approver, decision="approve")
    return request


def running_campaign(team, **changes) -> Campaign:
    promotion = ExpenseCategory.objects.get(code="promotion")
    campaign = campaign_create(
        values={**PLAN, **changes}, budget={promotion.pk: "20000"}, by=team.planner
    )
    approve_all(campaign_submit(campaign=campaign, by=team.planner), team.head, team.ceo)
    return campaign_start(campaign=Campaign.objects.get(pk=campaign.pk), by=team.planner)


@pytest.fixture
def budget_2026(team):
    """The 2026 budget in force: 市场推广费 10,000 元 for the year."""
    promotion = ExpenseCategory.objects.get(code="promotion")
    budget = budget_draft(
        year=2026, lines=[LineIn(category=promotion, amount="10000")], by=team.planner
    )
    approve_all(budget_submit(budget=budget, by=team.planner), team.ceo, team.cfo)
    return budget
