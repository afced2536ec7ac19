"""Sales targets (MKT-4): splits that round to the fen and still add up, a mismatch
flagged and refused, approval before a plan counts, completion beside time elapsed, and
each viewer seeing their own part."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.accounts.models import Department
from leadflow.approvals.engine import approval_decide
from leadflow.core.errors import Forbidden, ValidationFailed
from leadflow.customers.models import Customer
from leadflow.customers.profiles import customer_create
from leadflow.sales.deals import deal_record
from leadflow.sales.models import Target, TargetPlan
from leadflow.sales.targets import (
    Who,
    last_years_shape,
    mismatches,
    period_span,
    plan_in_force,
    progress_rows,
    satisfaction,
    split_by_shape,
    split_even,
    target_months_set,
    target_plan_draft,
    target_plan_submit,
    target_set,
    target_split_down,
    time_elapsed,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_MARCH = datetime(2026, 3, 31, 10, 0, tzinfo=SHANGHAI)


def test_splits_round_to_the_fen_and_add_up():
    # SPEC: MKT-4 — split into months evenly or by last year's shape, summing to the parent
    months = split_even(Decimal("100000.00"), 12)
    assert months[:4] == [Decimal("8333.34")] * 4  # 100000 / 12 = 8333.33…, 4 fen left
    assert months[4:] == [Decimal("8333.33")] * 8
    assert sum(months) == Decimal("100000.00")
    shaped = split_by_shape(Decimal("100.00"), [Decimal(1), Decimal(2), Decimal(3)])
    assert shaped == [Decimal("16.67"), Decimal("33.33"), Decimal("50.00")]  # 16.666… gets it
    assert split_by_shape(Decimal("10.00"), [Decimal(0)] * 4) == [Decimal("2.50")] * 4


def test_period_spans_and_time_elapsed():
    assert period_span(2026, "quarter", 1) == (date(2026, 1, 1), date(2026, 3, 31))
    assert period_span(2026, "month", 12) == (date(2026, 12, 1), date(2026, 12, 31))
    year = period_span(2026, "year", 0)
    assert time_elapsed(*year, date(2026, 3, 31)) == Decimal("24.7")  # 90 of 365 days
    assert time_elapsed(*period_span(2026, "quarter", 1), date(2026, 3, 31)) == Decimal("100")


@pytest.fixture
def sales(org, make_user):
    boss = make_user("management", display_name="赵总")
    manager = make_user("sales_manager", department=org.sales, display_name="王经理")
    Department.objects.filter(pk=org.sales.pk).update(manager=manager)
    east = make_user(team=org.east, display_name="李明")
    north = make_user(team=org.north, display_name="陈静")
    return boss, manager, east, north


def test_a_plan_splits_down_flags_mismatches_and_counts_once_approved(org, sales, make_user):
    # SPEC: MKT-4 — company → department → team → rep; a mismatch is flagged, not accepted
    boss, manager, east, north = sales
    second = make_user("management", display_name="钱总")  # approves what 赵总 submits
    with pytest.raises(Forbidden):
        target_plan_draft(year=2026, by=east)
    plan = target_plan_draft(year=2026, by=boss, note="年度目标")
    target_set(plan=plan, measure="sales", who=Who(department=org.sales), amount="120000", by=boss)
    pairs = target_split_down(plan=plan, measure="sales", who=Who(department=org.sales), by=boss)
    assert [(str(who), share) for who, share in pairs] == [
        ("华东大区", Decimal("60000.00")),  # the department below, then the team in it
        ("华北组", Decimal("60000.00")),
    ]
    target_set(plan=plan, measure="sales", who=Who(user=north), amount="40000", by=boss)
    [flagged] = mismatches(plan)
    assert (flagged["who"], flagged["children"], flagged["kind"]) == (
        "华北组",
        Decimal("40000.00"),
        "children",
    )
    with pytest.raises(ValidationFailed) as refused:
        target_plan_submit(plan=plan, by=boss)
    assert [reason for reason in refused.value.fields.values() if "40000.00" in reason]
    target_set(plan=plan, measure="sales", who=Who(user=north), amount="60000", by=boss)
    assert mismatches(plan) == []
    approval_decide(request=target_plan_submit(plan=plan, by=boss), by=second, decision="approve")
    assert plan_in_force(2026) == plan
    places = 4  # 销售部, 华东大区, 华北组, 陈静
    assert Target.objects.filter(plan=plan, measure="sales", period="month").count() == places * 12


def test_completion_beside_time_elapsed_within_each_viewers_scope(org, sales):
    # SPEC: MKT-4 — actual vs target with 进度 and 时间进度; a rep sees their own
    boss, manager, east, north = sales
    with time_machine.travel(END_OF_MARCH, tick=False):
        plan = target_plan_draft(year=2026, by=boss)
        for who, amount in ((Who(user=east), "120000"), (Who(user=north), "60000")):
            target_set(plan=plan, measure="sales", who=who, amount=amount, by=boss)
        TargetPlan.objects.filter(pk=plan.pk).update(state="approved")
        buyer = customer_create(values={"name": "南通某某公司"}, by=east)
        deal_record(
            customer=buyer,
            owner=east,
            title="首单",
            amount=Decimal("36000"),
            signed_on=date(2026, 2, 10),
            opened_at=END_OF_MARCH,
            won_at=END_OF_MARCH,
            source="",
            by=None,
        )
        rows = progress_rows(plan, "sales", "quarter", 1, boss)
        mine = {str(row.who): (row.target, row.actual, row.completion) for row in rows}
        assert mine["李明"] == (Decimal("30000.00"), Decimal("36000.00"), Decimal("120.0"))
        assert mine["陈静"] == (Decimal("15000.00"), Decimal("0.00"), Decimal("0.0"))
        assert [str(r.who) for r in progress_rows(plan, "sales", "quarter", 1, east)] == ["李明"]
        assert len(progress_rows(plan, "sales", "year", 0, manager)) == 2


def test_the_api_answers_progress_and_refuses_an_unknown_period(sales, api_for):
    boss, *_ = sales
    api = api_for(boss)
    assert api.get("/api/v1/targets?year=2026").json() == []
    refused = api.get("/api/v1/targets?year=2026&period=quarter&index=9")
    assert refused.status_code == 422
    assert "period" in refused.json()["error"]["fields"]


def test_a_split_follows_last_years_months(org, sales):
    # SPEC: MKT-4 — split by last year's shape: a rep who sold only in March and June
    boss, manager, east, north = sales
    buyer = customer_create(values={"name": "盐城某某公司"}, by=east)
    for day, amount in ((date(2025, 3, 5), "10000"), (date(2025, 6, 5), "30000")):
        deal_record(
            customer=buyer,
            owner=east,
            title="去年",
            amount=Decimal(amount),
            signed_on=day,
            opened_at=END_OF_MARCH,
            won_at=END_OF_MARCH,
            source="",
            by=None,
        )
    shape = last_years_shape("sales", Who(user=east), 2026)
    assert (shape[2], shape[5], sum(shape)) == (Decimal("10000.00"), Decimal("30000.00"), 40000)
    plan = target_plan_draft(year=2026, by=boss)
    target_set(
        plan=plan,
        measure="sales",
        who=Who(user=east),
        amount="100000",
        by=boss,
        split="shape",
        shape=shape,
    )
    months = dict(Target.objects.filter(plan=plan, period="month").values_list("index", "amount"))
    assert (months[3], months[6], months[1]) == (Decimal("25000.00"), Decimal("75000.00"), 0)


def test_satisfaction_is_a_bar_each_month_and_child_meets(org, sales):
    # SPEC: MKT-4 — satisfaction is a target too: not split, each level meets the bar
    boss, manager, east, north = sales
    plan = target_plan_draft(year=2026, by=boss)
    with pytest.raises(ValidationFailed) as refused:
        target_set(plan=plan, measure="satisfaction", who=Who(), amount="6", by=boss)
    assert refused.value.fields == {"amount": "须在 1 到 5 之间"}
    target_set(plan=plan, measure="satisfaction", who=Who(team=org.north), amount="4.5", by=boss)
    months = Target.objects.filter(
        plan=plan, measure="satisfaction", period="month", team=org.north
    )
    assert set(months.values_list("amount", flat=True)) == {Decimal("4.50")}
    [(who, bar)] = target_split_down(
        plan=plan, measure="satisfaction", who=Who(team=org.north), by=boss
    )
    assert (who.user, bar) == (north, Decimal("4.50"))
    assert mismatches(plan) == []
    target_set(plan=plan, measure="satisfaction", who=Who(user=north), amount="4", by=boss)
    [flagged] = mismatches(plan)
    assert (flagged["who"], flagged["children"]) == ("华北组", Decimal("4.00"))
    for name, rating in (("甲公司", 5), ("乙公司", 4), ("丙公司", None)):
        customer = customer_create(values={"name": name}, by=north)
        Customer.objects.filter(pk=customer.pk).update(satisfaction=rating)
    assert satisfaction(Who(user=north)) == Decimal("4.50")  # the unrated one not counted
    assert satisfaction(Who(user=east)) is None


def test_months_by_hand_follow_into_quarters_and_are_checked_against_the_year(org, sales):
    # SPEC: MKT-4 — split by hand; months that do not add up to the year are flagged
    boss, manager, east, north = sales
    plan = target_plan_draft(year=2026, by=boss)
    who = Who(user=north)
    with pytest.raises(ValidationFailed):  # no year figure yet
        target_months_set(plan=plan, measure="sales", who=who, months=["1"] * 12, by=boss)
    target_set(plan=plan, measure="sales", who=who, amount="120000", split="none", by=boss)
    with pytest.raises(ValidationFailed) as refused:
        target_months_set(
            plan=plan, measure="sales", who=who, months=["x"] + ["1"] * 10 + ["-5"], by=boss
        )
    assert set(refused.value.fields) == {"month_1", "month_12"}
    assert not Target.objects.filter(plan=plan, period="month").exists()  # nothing saved
    hand = ["5000"] * 6 + ["15000"] * 6  # a slow first half: 30,000 + 90,000
    target_months_set(plan=plan, measure="sales", who=who, months=hand, by=boss)
    quarters = Target.objects.filter(plan=plan, period="quarter").order_by("index")
    assert [q.amount for q in quarters] == [15000, 15000, 45000, 45000]
    assert mismatches(plan) == []
    target_months_set(plan=plan, measure="sales", who=who, months=["9000"] * 12, by=boss)
    [flagged] = mismatches(plan)
    assert (flagged["kind"], flagged["children"]) == ("months", Decimal("108000.00"))


def test_the_page_sets_months_by_hand(org, sales, client_for):
    # SPEC: MKT-4 — by hand from the targets page, the same service as the API and tests
    boss, manager, east, north = sales
    plan = target_plan_draft(year=2026, by=boss)
    target_set(plan=plan, measure="sales", who=Who(user=north), amount="1200", by=boss)
    page = client_for(boss)
    months = {f"month_{m}": "100" for m in range(1, 13)} | {"month_1": "50", "month_12": "150"}
    page.post(
        "/sales/targets/?year=2026",
        {"plan": plan.pk, "measure": "sales", "who": f"u:{north.pk}", "action": "months", **months},
    )
    december = Target.objects.get(plan=plan, user=north, period="month", index=12)
    assert december.amount == Decimal("150.00")
    shown = page.get("/sales/targets/?year=2026&measure=sales").content.decode()
    assert 'name="month_12" value="150.00"' in shown
