"""Marketing (ANA-5), customer (ANA-4) analytics, the cycle per grade (ANA-3) and the
management cockpit (#26): figures worked out by hand on built examples, in the viewer's
scope, exported with Chinese headers."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from leadflow.analytics.cockpit import cockpit
from leadflow.analytics.customers import customer_figures
from leadflow.analytics.marketing import channel_trend, cycle_by_grade, efficiency
from leadflow.customers.models import Customer, CustomerEvent
from leadflow.leads.models import Channel
from leadflow.marketing.models import Campaign, ExpenseCategory, ExpenseClaim
from leadflow.sales.models import Contract, Deal, Instalment, Receipt
from leadflow.service.models import Survey, TicketCategory
from leadflow.service.tickets import ticket_contact, ticket_receive
from tests.analytics.test_dashboard import PERIOD, world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db
END_OF_MARCH = datetime(2026, 3, 31, 4, 0, tzinfo=UTC)


@pytest.fixture
def spent(world):  # noqa: F811 - the fixture imported above
    """2,000 元 approved in March for a campaign of 搜索引擎推广 (S)."""
    admin, li, _ = world
    campaign = Campaign.objects.create(name="搜索推广三月", channel=Channel.objects.get(code="S"))
    ExpenseClaim.objects.create(
        claimant=li,
        department=li.department,
        spent_on=date(2026, 3, 10),
        category=ExpenseCategory.objects.first(),
        amount=Decimal("2000"),
        reason="关键词投放",
        campaign=campaign,
        state=ExpenseClaim.State.APPROVED,
        created_at=END_OF_MARCH,
        updated_at=END_OF_MARCH,
    )
    return world


def test_channel_efficiency_worked_by_hand(spent):
    # SPEC: ANA-5 — per channel: leads, grade mix, cost, cost per (A) lead, conversion, ROI
    admin, li, _ = spent
    rows = {row["key"]: row for row in efficiency(admin, PERIOD, "channel")}
    web, search, fair = rows["官网"], rows["搜索引擎推广"], rows["展会"]
    assert (web["leads"], web["a"], web["b"], web["won"]) == (3, 2, 1, 1)
    assert web["rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert web["sales"] == Decimal("100000.00")
    assert web["cost"] == 0
    assert web["roi"] is None
    assert (search["leads"], search["a"], search["won"], search["sales"]) == (3, 1, 1, 40000)
    assert search["cost"] == Decimal("2000.00")
    assert search["cost_per_lead"] == Decimal("666.67")
    assert search["cost_per_a_lead"] == Decimal("2000.00")
    assert search["roi"] == Decimal("19.00")  # (40,000 − 2,000) ÷ 2,000
    assert (fair["leads"], fair["won"], fair["rate"]) == (3, 0, 0.0)
    # 李明 sees his own leads: three of 官网, one of 展会.
    own = {row["key"]: row["leads"] for row in efficiency(li, PERIOD, "channel")}
    assert own == {"官网": 3, "展会": 1}
    campaigns = efficiency(admin, PERIOD, "campaign")
    assert campaigns == []  # no lead was attributed to the campaign


def test_cycle_per_grade_worked_by_hand(world):  # noqa: F811
    # SPEC: ANA-3 — lead → opportunity → deal per grade ("A类线索平均转化周期7天")
    admin, _, _ = world
    # Both won leads are grade A: captured on 2 March, 需求明确 and won three days later.
    assert cycle_by_grade(admin, PERIOD) == [
        {
            "grade": "A",
            "won": 2,
            "to_opportunity": 3.0,
            "to_deal": 0.0,
            "average": 3.0,
            "median": 3.0,
        }
    ]


def customer(owner, name, category, grade, created, **values):
    at = datetime.fromisoformat(created).replace(tzinfo=UTC)
    return Customer.objects.create(
        kind="company",
        name=name,
        category=category,
        grade=grade,
        owner=owner,
        created_at=at,
        updated_at=at,
        **values,
    )


def deal(on, amount, owner, signed_on):
    moment = datetime(signed_on.year, signed_on.month, signed_on.day, tzinfo=UTC)
    return Deal.objects.create(
        customer=on,
        owner=owner,
        title="订单",
        amount=Decimal(amount),
        signed_on=signed_on,
        opened_at=moment,
        won_at=moment,
        cycle_days=0,
        created_at=moment,
    )


@pytest.fixture
def book(world):  # noqa: F811
    """Four customers beside the two the world's won leads became (分析公司0 of 李明 and
    分析公司3 of 王芳, March, each with its deal and a contact planned in April):
    李明 owns three more, 王芳 one."""
    admin, li, wang = world
    march = datetime(2026, 3, 20, tzinfo=UTC)
    key = customer(
        li,
        "重点公司",
        "key",
        "A",
        "2026-03-10T02:00",
        last_contact_at=march,
        next_contact_due=datetime(2026, 4, 10, tzinfo=UTC),
    )
    deal(key, "3000", li, date(2026, 2, 1))
    deal(key, "5000", li, date(2026, 3, 5))
    quiet = customer(
        li,
        "沉寂公司",
        "closed",
        "B",
        "2025-01-01T02:00",
        last_contact_at=datetime(2025, 6, 1, tzinfo=UTC),
        next_contact_due=datetime(2025, 7, 1, tzinfo=UTC),
    )
    deal(quiet, "2000", li, date(2025, 5, 1))
    customer(li, "潜在公司", "potential", "C", "2026-03-15T02:00")
    once = customer(
        wang,
        "一次公司",
        "closed",
        "B",
        "2025-06-01T02:00",
        next_contact_due=datetime(2026, 3, 1, tzinfo=UTC),
        risk_since=datetime(2026, 3, 2, tzinfo=UTC),
    )
    deal(once, "1000", wang, date(2026, 1, 10))
    CustomerEvent.objects.create(
        customer=key, at=march, kind="graded", data={"from": "B", "to": "A", "why": "复审"}
    )
    return world


def test_customer_figures_worked_by_hand(book):
    # SPEC: ANA-4 — new, key, grade movements, cadence, churn, repeat purchase per owner
    admin, li, _ = book
    figures = customer_figures(admin, PERIOD, END_OF_MARCH)
    summary = figures["summary"]
    # New in March: the two from leads, 重点公司 and 潜在公司.
    assert (summary["customers"], summary["new"], summary["key_accounts"]) == (6, 4, 1)
    assert summary["at_risk"] == 1
    # Five have a contact planned; 沉寂公司's and 一次公司's are overdue.
    assert summary["cadence"] == 0.6
    # Lost: of the five who bought, 沉寂公司 (May 2025) has had neither an order nor a
    # contact in the last 6 months.
    assert (summary["churned"], summary["churn_rate"]) == (1, 0.2)
    # Buyers in the twelve months to 31 March: all five; only 重点公司 bought twice.
    assert (summary["buyers"], summary["repeat_buyers"]) == (5, 1)
    assert figures["movements"] == [{"from": "B", "to": "A", "count": 1}]
    assert figures["complaints"] == 0
    owners = {row["key"]: row for row in figures["owners"]}
    assert (owners["李明"]["customers"], owners["李明"]["buyers"]) == (4, 3)
    assert owners["李明"]["repeat_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert (owners["王芳"]["customers"], owners["王芳"]["buyers"]) == (2, 2)
    teams = figures["teams"]
    assert [(row["key"], row["customers"]) for row in teams] == [("华东一组", 6)]
    mine = customer_figures(li, PERIOD, END_OF_MARCH)["summary"]
    assert (mine["customers"], mine["churned"]) == (4, 1)


def test_cockpit_figures_follow_the_viewers_scope(book):
    # SPEC: ANA-6, SEC-1 — management sees the company, a rep their own figures
    admin, li, _ = book
    today = date(2026, 3, 31)
    company = cockpit(admin, END_OF_MARCH, today)
    own = cockpit(li, END_OF_MARCH, today)
    sales = {t.measure: t for t in company["tiles"]}["sales"]
    # March deals: the two leads won (100,000 李明, 40,000 王芳) and 重点公司's 5,000.
    assert sales.actual == Decimal("145000.00")
    assert (sales.target, sales.last_year, sales.change) == (None, 0, None)
    assert {t.measure: t.actual for t in own["tiles"]}["sales"] == Decimal("105000.00")
    assert {g["grade"]: g["count"] for g in company["grades"]} == {"A": 4, "B": 5, "C": 0}
    assert {g["grade"]: g["count"] for g in own["grades"]} == {"A": 3, "B": 1, "C": 0}
    assert [r["what"] for r in company["risks"]] == []  # 一次公司 is at risk but not key


def test_pages_export_with_chinese_headers(spent, client_for):
    # SPEC: ANA-6 — every table exports to XLSX and CSV with Chinese headers
    admin, _, _ = spent
    client = client_for(admin)
    query = "start=2026-03-01&end=2026-03-31"
    with time_machine.travel(END_OF_MARCH, tick=False):
        channels = client.get(f"/analytics/marketing/?{query}&export=csv&table=channels")
        owners = client.get(f"/analytics/customers/?{query}&export=csv&table=owners")
        month = client.get("/analytics/cockpit/?export=csv&table=month")
        page = client.get(f"/analytics/marketing/?{query}").content.decode()
    head = channels.content.decode("utf-8-sig").splitlines()[0]
    assert head.startswith("渠道,线索,A,B,C,成交,转化率,销售额,费用,单条线索成本")
    assert owners.content.decode("utf-8-sig").startswith("负责人,客户数,新增,重点客户")
    assert month.content.decode("utf-8-sig").startswith("指标,本月,目标,完成率 %,去年同期")
    assert "搜索引擎推广" in page
    assert "1900.0 %" in page  # ROI 19.00 shown as a percentage


def test_channel_trend_month_on_month(world):  # noqa: F811
    # SPEC: ANA-5 — channel trend month on month
    admin, _, _ = world
    trend = channel_trend(admin, date(2026, 3, 31))
    assert trend["months"] == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    rows = {row["key"]: row for row in trend["channels"]}
    # 官网: the February lead, then three in March (one won): up 200 %.
    assert rows["官网"]["leads"] == [0, 0, 0, 0, 1, 3]
    assert rows["官网"]["change"] == 2.0
    assert rows["官网"]["rates"][-1] == pytest.approx(1 / 3, abs=1e-4)
    assert rows["展会"]["leads"][-1] == 3
    assert rows["展会"]["change"] is None  # nothing the month before to compare with


@pytest.fixture
def complaint(book, make_user):
    """A complaint about 重点公司 on 20 March, called back within the hour; 重点公司
    answers a satisfaction survey with 4 on 25 March."""
    desk = make_user("customer_service")
    key = Customer.objects.get(name="重点公司")
    with time_machine.travel(datetime(2026, 3, 20, 2, 0, tzinfo=UTC), tick=False):
        ticket = ticket_receive(
            values={
                "kind": "complaint",
                "category": TicketCategory.objects.first().pk,
                "subject": "交付延迟",
                "content": "交付延迟",
                "customer": key.pk,
            },
            by=desk,
            via="phone",
        )
    with time_machine.travel(datetime(2026, 3, 20, 2, 30, tzinfo=UTC), tick=False):
        ticket_contact(ticket=ticket, by=desk, text="已回电")
    answered = datetime(2026, 3, 25, 2, 0, tzinfo=UTC)
    Survey.objects.create(
        customer=key,
        reason=Survey.Reason.PERIODIC,
        nonce="n-insight",
        sent_at=answered,
        expires_at=answered + timedelta(days=7),
        answered_at=answered,
        score=4,
    )
    return book


def test_complaints_and_satisfaction_worked_by_hand(complaint):
    # SPEC: ANA-4 — satisfaction, complaint rate
    admin, _, _ = complaint
    figures = customer_figures(admin, PERIOD, END_OF_MARCH)
    assert figures["complaints"] == 1
    assert figures["complaints_per_100"] == Decimal("16.67")  # 1 of 6 customers
    assert (figures["satisfaction"], figures["satisfaction_answers"]) == (4, 1)


def test_cockpit_receivables_complaints_and_risks_worked_by_hand(complaint):
    # SPEC: ANA-6 — overdue receivables, complaint timeliness, the biggest risks
    admin, li, _ = complaint
    key = Customer.objects.get(name="重点公司")
    Customer.objects.filter(pk=key.pk).update(risk_since=datetime(2026, 3, 28, tzinfo=UTC))
    contract = Contract.objects.create(
        number="HT-INSIGHT-1",
        customer=key,
        title="设备合同",
        amount=Decimal("10000"),
        state=Contract.State.SIGNED,
        owner=li,
        signed_on=date(2026, 3, 1),
        created_at=END_OF_MARCH,
        updated_at=END_OF_MARCH,
    )
    due = Instalment.objects.create(
        contract=contract, position=1, due_on=date(2026, 3, 10), amount=Decimal("6000")
    )
    Instalment.objects.create(
        contract=contract, position=2, due_on=date(2026, 4, 10), amount=Decimal("4000")
    )
    Receipt.objects.create(
        contract=contract,
        instalment=due,
        received_on=date(2026, 3, 12),
        amount=Decimal("2500"),
        method=Receipt.Method.TRANSFER,
        recorded_by=admin,
        created_at=END_OF_MARCH,
    )
    figures = cockpit(admin, END_OF_MARCH, date(2026, 3, 31))
    # One instalment due before today, 3,500 of its 6,000 still owed; April's is not due.
    assert figures["receivables"]["count"] == 1
    assert figures["receivables"]["outstanding"] == Decimal("3500.00")
    assert figures["receivables"]["oldest"] == date(2026, 3, 10)
    complaints = figures["complaints"]
    assert (complaints["complaints"], complaints["ended"], complaints["rate"]) == (1, 1, 1.0)
    assert [(r["what"], r["link"]) for r in figures["risks"]] == [
        ("重点公司", f"/customers/{key.pk}/")
    ]
