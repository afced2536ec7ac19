"""Contracts (MKT-5): numbered by pattern, reviewed by legal and approved before signing,
a plan that adds up, receipts never above what is owed, changes and termination through
their own approval with versions kept, and receivables aged on the working calendar."""

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.accounts.models import Department
from leadflow.approvals.engine import approval_decide
from leadflow.approvals.models import ApprovalRequest
from leadflow.core.company_settings import settings_update
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.worktime import WorkCalendar
from leadflow.customers.profiles import customer_create
from leadflow.notify.models import Notification
from leadflow.sales.contracts import (
    InstalmentIn,
    ageing,
    contract_change_request,
    contract_complete,
    contract_draft,
    contract_perform,
    contract_sign,
    contract_submit,
    contract_update,
    contracts_visible_to,
    outstanding,
    payment_plan_set,
    receipt_record,
    remind_overdue_instalments,
)
from leadflow.sales.deals import deal_record
from leadflow.sales.models import Contract
from leadflow.sales.queries import customer_orders
from leadflow.sales.targets import Who, actual

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def people(org, make_user):
    manager = make_user("sales_manager", department=org.sales, display_name="王经理")
    Department.objects.filter(pk=org.sales.pk).update(manager=manager)
    rep = make_user(department=org.sales, display_name="李明")
    other = make_user(team=org.north, display_name="陈静")
    return SimpleNamespace(
        rep=rep,
        manager=manager,
        other=other,
        lawyer=make_user("legal", display_name="周律师"),
        boss=make_user("management", display_name="赵总"),
        cashier=make_user("finance", display_name="孙会计"),
    )


@pytest.fixture
def customer(people):
    return customer_create(values={"name": "苏州某某机械有限公司"}, by=people.rep)


def draft(people, customer, amount="100000"):
    return contract_draft(
        values={
            "title": "数控机床采购",
            "service": "供应数控机床 2 台及安装调试",
            "amount": amount,
        },
        by=people.rep,
        customer=customer,
    )


def signed(people, customer, plan=(("2026-03-31", "30000"), ("2026-06-30", "70000"))):
    contract = draft(people, customer)
    payment_plan_set(contract=contract, plan=[InstalmentIn(d, a) for d, a in plan], by=people.rep)
    request = contract_submit(contract=contract, by=people.rep)
    approval_decide(request=request, by=people.lawyer, decision="approve")
    approval_decide(request=request, by=people.boss, decision="approve")
    contract.refresh_from_db()
    return contract_sign(contract=contract, by=people.rep, signed_on=date(2026, 3, 2))


def test_numbers_follow_the_pattern_and_never_repeat(people, customer, admin_user):
    # SPEC: MKT-5 — configurable pattern, e.g. HT-YYYYMMDD-001
    with time_machine.travel(MONDAY, tick=False):
        first, second = draft(people, customer), draft(people, customer)
        assert (first.number, second.number) == ("HT-20260302-001", "HT-20260302-002")
        settings_update(
            changes={"sales.contract_number_pattern": "XS{YYYY}{MM}-{NNNN}"}, by=admin_user
        )
        assert draft(people, customer).number == "XS202603-0001"


def test_from_draft_through_legal_and_approval_to_signed_and_completed(people, customer):
    # SPEC: MKT-5 — draft → legal review → approval → signed → in performance → completed
    with time_machine.travel(MONDAY, tick=False):
        contract = draft(people, customer)
        with pytest.raises(ValidationFailed, match="回款计划|plan"):
            contract_submit(contract=contract, by=people.rep)
        with pytest.raises(ValidationFailed) as refused:
            payment_plan_set(
                contract=contract, plan=[InstalmentIn("2026-04-01", "60000")], by=people.rep
            )
        assert "plan" in refused.value.fields  # 60,000 is not 100,000
        payment_plan_set(
            contract=contract,
            plan=[InstalmentIn("2026-04-01", "60000"), InstalmentIn("2026-05-01", "40000")],
            by=people.rep,
        )
        request = contract_submit(contract=contract, by=people.rep)
        contract.refresh_from_db()
        assert contract.state == "legal"
        approval_decide(request=request, by=people.lawyer, decision="approve")
        contract.refresh_from_db()
        assert contract.state == "approval"
        with pytest.raises(Conflict):
            contract_sign(contract=contract, by=people.rep, signed_on=date(2026, 3, 2))
        approval_decide(request=request, by=people.boss, decision="approve")
        contract.refresh_from_db()
        contract_sign(contract=contract, by=people.rep, signed_on=date(2026, 3, 2))
        with pytest.raises(Conflict):  # a signed contract is not edited in place
            contract_update(contract=contract, values={"title": "x"}, by=people.rep)
        contract_perform(contract=contract, by=people.rep)
        receipt_record(
            contract=contract,
            by=people.cashier,
            received_on=date(2026, 3, 2),
            amount="60000",
            method="transfer",
        )
        with pytest.raises(Conflict, match="40000.00"):
            contract_complete(contract=contract, by=people.rep)
        receipt_record(
            contract=contract,
            by=people.cashier,
            received_on=date(2026, 3, 2),
            amount="40000",
            method="transfer",
        )
        assert contract_complete(contract=contract, by=people.rep).state == "completed"
        assert contract.versions.get().values["amount"] == "100000.00"


def test_receipts_never_exceed_what_is_owed(people, customer):
    # SPEC: MKT-5 — overpayment refused; only finance records
    with time_machine.travel(MONDAY, tick=False):
        contract = signed(people, customer)
        first = contract.instalments.get(position=1)
        with pytest.raises(Forbidden):
            receipt_record(
                contract=contract,
                by=people.rep,
                received_on=date(2026, 3, 2),
                amount="1",
                method="cash",
            )
        with pytest.raises(ValidationFailed) as refused:
            receipt_record(
                contract=contract,
                by=people.cashier,
                received_on=date(2026, 3, 2),
                amount="30000.01",
                method="transfer",
                instalment=first,
            )
        assert "30000.00" in refused.value.fields["amount"]
        with pytest.raises(ValidationFailed):
            receipt_record(
                contract=contract,
                by=people.cashier,
                received_on=date(2026, 3, 2),
                amount="100000.01",
                method="transfer",
            )
        with pytest.raises(ValidationFailed) as refused:
            receipt_record(
                contract=contract,
                by=people.cashier,
                received_on=date(2026, 3, 3),
                amount="-5",
                method="barter",
            )
        assert set(refused.value.fields) == {"amount", "received_on", "method"}
        assert not contract.receipts.exists()


def test_a_change_and_a_termination_go_through_their_own_approval(people, customer):
    # SPEC: MKT-5 — changes and early termination approved; versions kept
    with time_machine.travel(MONDAY, tick=False):
        contract = signed(people, customer)
        with pytest.raises(ValidationFailed):  # a new amount without a plan that adds up
            contract_change_request(
                contract=contract, by=people.rep, reason="加购", values={"amount": "120000"}
            )
        change = contract_change_request(
            contract=contract,
            by=people.rep,
            reason="加购 1 台",
            values={"amount": "120000"},
            plan=[InstalmentIn("2026-03-31", "30000"), InstalmentIn("2026-06-30", "90000")],
        )
        contract.refresh_from_db()
        assert contract.amount == 100000  # nothing changes before approval
        request = ApprovalRequest.objects.get(kind="contract_change", subject_id=change.pk)
        approval_decide(request=request, by=people.lawyer, decision="approve")
        approval_decide(request=request, by=people.boss, decision="approve")
        contract.refresh_from_db()
        assert (contract.amount, contract.version) == (Decimal("120000.00"), 2)
        assert [i.amount for i in contract.instalments.all()] == [30000, 90000]
        assert list(contract.versions.values_list("version", flat=True)) == [1, 2]
        ending = contract_change_request(
            contract=contract, by=people.rep, reason="客户破产", terminate=True
        )
        request = ApprovalRequest.objects.get(kind="contract_termination", subject_id=ending.pk)
        approval_decide(request=request, by=people.lawyer, decision="approve")
        approval_decide(request=request, by=people.boss, decision="approve")
        contract.refresh_from_db()
        assert contract.state == "terminated"


def test_receivables_age_on_the_working_calendar_and_remind_once(people, customer):
    # SPEC: MKT-5 — overdue instalments remind the owner and manager; ageing buckets
    with time_machine.travel(MONDAY, tick=False):
        contract = signed(
            people,
            customer,
            plan=(
                ("2026-03-07", "10000"),  # a Saturday: due on Monday 03-09
                ("2026-04-06", "20000"),  # 清明 (04-04…06 off): due 04-07
                ("2026-06-30", "70000"),
            ),
        )
        receipt_record(
            contract=contract,
            by=people.cashier,
            received_on=date(2026, 3, 2),
            amount="4000",
            method="transfer",
        )  # pays the oldest first
    calendar = WorkCalendar.for_company()
    day = date(2026, 5, 20)
    rows = outstanding(Contract.objects.all(), day, calendar)
    assert [(r.due, r.owed, r.days_overdue) for r in rows] == [
        (date(2026, 3, 9), Decimal("6000.00"), 72),  # 03-09 → 05-20
        (date(2026, 4, 7), Decimal("20000.00"), 43),
        (date(2026, 6, 30), Decimal("70000.00"), 0),
    ]
    assert ageing(rows, day) == {
        "0–30": Decimal(0),
        "31–60": Decimal("20000.00"),
        "61–90": Decimal("6000.00"),
        "90+": Decimal(0),
    }
    saturday = datetime(2026, 3, 14, 10, 0, tzinfo=SHANGHAI)
    assert remind_overdue_instalments(saturday) == {"reminded": 0}  # a day off
    monday = datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)
    assert remind_overdue_instalments(monday) == {"reminded": 1}
    assert remind_overdue_instalments(monday) == {"reminded": 0}
    told = Notification.objects.filter(title__contains=contract.number, level="warning")
    assert set(told.values_list("recipient", flat=True)) == {people.rep.pk, people.manager.pk}


def test_a_rep_sees_only_their_own_contracts(people, customer, client_for):
    # SPEC: SEC-1 — scope applies to contracts
    with time_machine.travel(MONDAY, tick=False):
        contract = draft(people, customer)
    assert contract in contracts_visible_to(people.manager)
    assert contract not in contracts_visible_to(people.other)
    assert client_for(people.other).get(f"/sales/contracts/{contract.pk}/").status_code == 404
    assert client_for(people.rep).get(f"/sales/contracts/{contract.pk}/print/").status_code == 200


def test_the_api_drafts_plans_and_ages(people, customer, api_for):
    # SPEC: MKT-5 — contracts, instalments, receipts in the OpenAPI schema
    with time_machine.travel(MONDAY, tick=False):
        api = api_for(people.rep)
        created = api.post(
            "/api/v1/contracts",
            {
                "customer_id": customer.pk,
                "title": "年度维保",
                "service": "设备维保",
                "amount": "24000",
            },
            content_type="application/json",
        )
        assert created.status_code == 201, created.content
        contract_id = created.json()["id"]
        bad = api.put(
            f"/api/v1/contracts/{contract_id}/plan",
            {"instalments": [{"due_on": "2026-04-01", "amount": "1000"}]},
            content_type="application/json",
        )
        assert bad.status_code == 422
        good = api.put(
            f"/api/v1/contracts/{contract_id}/plan",
            {"instalments": [{"due_on": "2026-04-01", "amount": "24000"}]},
            content_type="application/json",
        )
        assert good.json()["instalments"][0]["amount"] == "24000.00"
        assert api.post(f"/api/v1/contracts/{contract_id}/submit").json()["state"] == "legal"
        assert api_for(people.other).get(f"/api/v1/contracts/{contract_id}").status_code == 404
        assert api.get("/api/v1/receivables").json()["buckets"]["90+"] == "0"


def test_a_signed_contract_is_what_the_customer_bought(people, customer):
    # SPEC: MKT-5 — the deal's amount and the customer's yearly sales use signed contracts
    with time_machine.travel(MONDAY, tick=False):
        won = deal_record(
            customer=customer,
            owner=people.rep,
            title="机床",
            amount=Decimal("100000"),
            signed_on=date(2026, 2, 20),
            opened_at=MONDAY,
            won_at=MONDAY,
            source="",
            by=None,
        )
        deal_record(
            customer=customer,
            owner=people.rep,
            title="配件",
            amount=Decimal("30000"),
            signed_on=date(2026, 2, 25),
            opened_at=MONDAY,
            won_at=MONDAY,
            source="",
            by=None,
        )
        contract = contract_draft(
            values={"service": "机床 2 台", "amount": "120000"}, by=people.rep, deal=won
        )
        assert (contract.title, contract.customer) == ("机床", customer)
        assert sorted(customer_orders([customer.pk], date(2026, 1, 1))[customer.pk]) == [
            (date(2026, 2, 20), Decimal("100000.00")),
            (date(2026, 2, 25), Decimal("30000.00")),
        ]  # a draft agrees nothing yet
        payment_plan_set(
            contract=contract, plan=[InstalmentIn("2026-04-01", "120000")], by=people.rep
        )
        request = contract_submit(contract=contract, by=people.rep)
        approval_decide(request=request, by=people.lawyer, decision="approve")
        approval_decide(request=request, by=people.boss, decision="approve")
        contract.refresh_from_db()
        contract_sign(contract=contract, by=people.rep, signed_on=date(2026, 3, 1))
        assert sorted(customer_orders([customer.pk], date(2026, 1, 1))[customer.pk]) == [
            (date(2026, 2, 25), Decimal("30000.00")),
            (date(2026, 3, 1), Decimal("120000.00")),  # the contract, not the deal's 100,000
        ]


def test_profit_counts_the_signed_contracts_that_carry_a_cost(people, customer):
    # SPEC: MKT-4 — profit when deals carry a cost; a signed contract's cost changes by approval
    with time_machine.travel(MONDAY, tick=False):
        with pytest.raises(ValidationFailed) as refused:
            contract_draft(
                values={"title": "维保", "service": "一年维保", "amount": "5000", "cost": "-1"},
                by=people.rep,
                customer=customer,
            )
        assert "cost" in refused.value.fields
        contract = signed(people, customer)  # 100,000 without a cost: no profit to count
        march = (date(2026, 3, 1), date(2026, 3, 31))
        assert actual("profit", Who(user=people.rep), *march) == Decimal("0.00")
        change = contract_change_request(
            contract=contract, by=people.rep, reason="成本核定", values={"cost": "62000.50"}
        )
        request = ApprovalRequest.objects.get(kind="contract_change", subject_id=change.pk)
        approval_decide(request=request, by=people.lawyer, decision="approve")
        approval_decide(request=request, by=people.boss, decision="approve")
        contract.refresh_from_db()
        assert (contract.cost, contract.profit) == (Decimal("62000.50"), Decimal("37999.50"))
        assert actual("profit", Who(user=people.rep), *march) == Decimal("37999.50")
        assert actual("profit", Who(user=people.other), *march) == Decimal("0.00")
