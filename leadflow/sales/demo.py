"""The demo company's contracts (MKT-5): one signed and in performance with an instalment
overdue, one still a draft, so the contract pages and the receivables ageing show real
rows after `make run`. Made through the same services a person uses."""

from datetime import timedelta

from django.utils import timezone

from leadflow.accounts.models import Department, User
from leadflow.approvals.engine import approval_decide
from leadflow.customers.profiles import customer_create

from .contracts import (
    InstalmentIn,
    contract_draft,
    contract_perform,
    contract_sign,
    contract_submit,
    payment_plan_set,
    receipt_record,
)
from .models import Contract
from .targets import Who, target_plan_draft, target_plan_submit, target_set, target_split_down


def demo_sales_create() -> None:
    if Contract.objects.exists():
        return
    users = {user.username: user for user in User.objects.filter(username__contains=".")}
    if not all(name in users for name in ("li.ming", "zheng.fw", "qian.zong", "wu.kj")):
        return
    rep, lawyer, boss, cashier = (users[n] for n in ("li.ming", "zheng.fw", "qian.zong", "wu.kj"))
    today = timezone.localdate()
    buyer = customer_create(
        values={"name": "无锡演示精密机械有限公司", "expected_annual_sales": "80"}, by=rep
    )
    contract = contract_draft(
        values={
            "title": "数控加工中心采购合同",
            "service": "供应立式加工中心 2 台，含安装调试与操作培训",
            "amount": "480000",
            "cost": "336000",
            "payment_terms": "预付 30%，到货验收后付 60%，质保金 10% 一年后付清",
            "starts_on": today - timedelta(days=70),
            "ends_on": today + timedelta(days=300),
            "delivery_on": today - timedelta(days=40),
        },
        by=rep,
        customer=buyer,
    )
    payment_plan_set(
        contract=contract,
        plan=[
            InstalmentIn(today - timedelta(days=65), "144000", "预付款"),
            InstalmentIn(today - timedelta(days=35), "288000", "到货验收款"),
            InstalmentIn(today + timedelta(days=330), "48000", "质保金"),
        ],
        by=rep,
    )
    request = contract_submit(contract=contract, by=rep)
    for person in (lawyer, boss):
        approval_decide(request=request, by=person, decision="approve", comment="同意")
    contract.refresh_from_db()
    contract_sign(contract=contract, by=rep, signed_on=today - timedelta(days=68))
    contract_perform(contract=contract, by=rep)
    receipt_record(
        contract=contract,
        by=cashier,
        received_on=today - timedelta(days=64),
        amount="144000",
        method="transfer",
        note="预付款到账",
    )
    _demo_targets(users, today.year)
    second = customer_create(values={"name": "常州演示自动化设备有限公司"}, by=rep)
    contract_draft(
        values={
            "title": "产线改造服务合同",
            "service": "一条装配线的自动化改造",
            "amount": "260000",
        },
        by=rep,
        customer=second,
    )


def _demo_targets(users: dict[str, User], year: int) -> None:
    """This year's approved targets: the sales department, split over its teams and reps."""
    boss, manager = users["qian.zong"], users["wang.manager"]
    sales = Department.objects.filter(name="销售部").first()
    if sales is None:
        return
    plan = target_plan_draft(year=year, by=manager, note="年度销售目标")
    for measure, amount in (
        ("sales", "6000000"),
        ("received", "5000000"),
        ("profit", "1500000"),
        ("new_customers", "60"),
        ("satisfaction", "4.5"),
    ):
        target_set(plan=plan, measure=measure, who=Who(department=sales), amount=amount, by=manager)
        for team, _share in target_split_down(
            plan=plan, measure=measure, who=Who(department=sales), by=manager
        ):
            target_split_down(plan=plan, measure=measure, who=team, by=manager)
    request = target_plan_submit(plan=plan, by=manager)
    approval_decide(request=request, by=boss, decision="approve", comment="同意")
