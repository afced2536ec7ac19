"""The demo company's marketing (MKT-2, MKT-6): this year's approved budget, a campaign
running and one still a draft, and claims in two states, so a newcomer sees real pages
after `make run`. Made through the same services a person uses."""

from datetime import timedelta

from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.approvals.engine import approval_decide
from leadflow.leads.models import Channel

from .budgets import LineIn, budget_draft, budget_submit
from .campaigns import campaign_create, campaign_start, campaign_submit, task_add
from .expenses import claim_reimburse, claim_request, claim_submit
from .models import Campaign, ExpenseCategory


def _approve(request, *people: User) -> None:
    for person in people:
        approval_decide(request=request, by=person, decision="approve", comment="同意")
        request.refresh_from_db()


def demo_marketing_create() -> None:
    if Campaign.objects.exists():
        return
    users = {user.username: user for user in User.objects.filter(username__contains=".")}
    needed = ("zhao.min", "he.cehua", "qian.zong", "wu.kj", "wang.manager")
    if not all(name in users for name in needed):
        return
    head, planner, boss, cashier = (
        users[n] for n in ("zhao.min", "he.cehua", "qian.zong", "wu.kj")
    )
    categories = {category.code: category for category in ExpenseCategory.objects.all()}
    today = timezone.localdate()
    budget = budget_draft(
        year=today.year,
        lines=[
            LineIn(category=categories["promotion"], amount="200000"),
            LineIn(category=categories["events"], amount="150000"),
            LineIn(category=categories["advertising"], amount="100000"),
        ],
        by=planner,
        note="年度营销预算",
    )
    _approve(budget_submit(budget=budget, by=planner), boss)

    launch = campaign_create(
        values={
            "name": "秋季新品发布会",
            "objective": "leads",
            "form": "seminar",
            "theme": "数控机床新品",
            "content": "新品演示、客户案例分享、现场洽谈",
            "channel": Channel.objects.filter(code="Z").first(),
            "starts_on": today - timedelta(days=5),
            "ends_on": today + timedelta(days=20),
            "place": "上海浦东会议中心",
            "planned_audience": 200,
            "target_participants": 150,
            "target_leads": 60,
            "target_a_leads": 10,
            "target_sales": "800000",
            "target_satisfaction": "4.5",
        },
        budget={categories["events"].pk: "80000", categories["promotion"].pk: "30000"},
        by=planner,
    )
    _approve(campaign_submit(campaign=launch, by=planner), head, boss)
    launch = campaign_start(campaign=Campaign.objects.get(pk=launch.pk), by=planner)
    for title, days in (("场地预订", -3), ("邀请老客户", 7), ("准备演示样机", 14)):
        task_add(
            campaign=launch,
            by=planner,
            title=title,
            due_on=today + timedelta(days=days),
            assignee=planner,
        )
    campaign_create(
        values={
            "name": "年末客户答谢会",
            "objective": "retention",
            "form": "seminar",
            "theme": "感谢老客户",
            "starts_on": today + timedelta(days=30),
            "ends_on": today + timedelta(days=31),
            "target_participants": 80,
            "target_sales": "300000",
        },
        budget={categories["events"].pk: "50000"},
        by=planner,
    )

    paid = claim_submit(
        values={
            "category": categories["events"],
            "amount": "12000",
            "spent_on": today - timedelta(days=4),
            "reason": "发布会场地定金",
            "campaign": launch,
        },
        by=planner,
    )
    _approve(claim_request(paid), head, boss, cashier)
    claim_reimburse(claim=paid, by=cashier, paid_on=today - timedelta(days=1))
    claim_submit(
        values={
            "category": categories["promotion"],
            "amount": "860",
            "spent_on": today - timedelta(days=2),
            "reason": "客户拜访交通费",
        },
        by=users["wang.manager"],
    )
