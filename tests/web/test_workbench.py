"""工作台 (#25): each person's to-dos, counted by the same scoped queries as the lists the
cards link to, so the number on a card is the number of rows behind it."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.customers.models import Customer
from leadflow.customers.profiles import customer_create
from leadflow.leads.assignment import lead_assign_manual
from leadflow.leads.models import Lead, Stage
from tests.leads.conftest import accepted_lead

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)


def cards_of(response, section: str) -> dict[str, object]:
    found = next(s for s in response.context["sections"] if s.key == section)
    return {str(card.label): card for card in found.cards}


def rows_behind(client, card) -> int:
    """How many rows the list a card links to shows."""
    response = client.get(card.url)
    assert response.status_code == 200, card.url
    context = response.context
    if "count" in context:
        return context["count"]
    if "rows" in context:
        return len(context["rows"])
    return len(context["leads"])


@pytest.fixture
def rep_day(capture, rep, make_user):
    """李明's Monday morning: two leads waiting for him (one past its accept deadline),
    a first contact due this afternoon, a follow-up two hours late, one due tomorrow, a
    customer overdue for a contact; and a colleague's late follow-up he must not count."""
    with time_machine.travel(MONDAY_10 - timedelta(days=3), tick=False):
        waiting = []
        for n in range(2):
            lead = capture(name=f"等待{n}有限公司", mobile=f"1390000100{n}", email="").lead
            lead.refresh_from_db()
            lead_assign_manual(lead=lead, rep=rep, reason="测试", by=rep.team.leader)
            waiting.append(lead)
        first = accepted_lead(capture, rep, name="首次有限公司", mobile="13900002001", email="")
        late = accepted_lead(capture, rep, name="逾期有限公司", mobile="13900002002", email="")
        later = accepted_lead(capture, rep, name="明天有限公司", mobile="13900002003", email="")
        colleague = make_user(team=rep.team, display_name="张伟")
        theirs = accepted_lead(
            capture, colleague, name="同事有限公司", mobile="13900002004", email=""
        )
        customer = customer_create(values={"name": "老客户有限公司"}, by=rep)
    Lead.objects.filter(pk=waiting[0].pk).update(accept_by=MONDAY_10 - timedelta(hours=1))
    Lead.objects.filter(pk=waiting[1].pk).update(accept_by=MONDAY_10 + timedelta(hours=4))
    Lead.objects.filter(pk=first.pk).update(
        first_contact_at=None, next_due_at=MONDAY_10 + timedelta(hours=5)
    )
    for lead, due in ((late, -2), (later, 24), (theirs, -3)):
        Lead.objects.filter(pk=lead.pk).update(
            first_contact_at=MONDAY_10 - timedelta(days=2),
            next_due_at=MONDAY_10 + timedelta(hours=due),
        )
    Customer.objects.filter(pk=customer.pk).update(next_contact_due=MONDAY_10 - timedelta(days=1))
    return rep


@time_machine.travel(MONDAY_10, tick=False)
def test_a_reps_workbench_counts_their_own_todos(rep_day, client_for):
    # SPEC: LEAD-ASN-5, LEAD-FUP-1, CUS-5 — the rep's day on one page, each card its list
    client = client_for(rep_day)
    response = client.get("/")
    cards = cards_of(response, "mine")
    assert {label: card.value for label, card in cards.items()} == {
        "待接受线索": 2,
        "首次联系到期": 1,
        "逾期跟进": 1,
        "今日待跟进": 1,
        "待联系客户": 1,
    }
    assert cards["待接受线索"].alert  # one is past its deadline
    for card in cards.values():
        assert rows_behind(client, card) == card.value, card.label
    page = response.content.decode()
    assert "我的待办" in page
    assert "我的销售管道" in page


@time_machine.travel(MONDAY_10, tick=False)
def test_the_pipeline_counts_stages_and_this_months_wins(capture, rep, client_for):
    # SPEC: LEAD-STS-1 — my leads by stage, and what I won this month with its amount
    for n, stage in enumerate([Stage.INITIAL, Stage.NEEDS, Stage.NEEDS, Stage.WON]):
        lead = accepted_lead(
            capture, rep, name=f"管道{n}有限公司", mobile=f"1390000300{n}", email=""
        )
        Lead.objects.filter(pk=lead.pk).update(
            stage=stage,
            deal_amount=Decimal("150000.00") if stage == Stage.WON else None,
            deal_date=MONDAY_10.date() if stage == Stage.WON else None,
        )
    client = client_for(rep)
    response = client.get("/")
    pipeline = next(s for s in response.context["sections"] if s.key == "pipeline")
    counts = {str(row["label"]): row["count"] for row in pipeline.rows}
    assert counts == {"初步接触": 1, "需求明确": 2, "方案对比": 0, "商务谈判": 0}
    assert (pipeline.extra["won"], pipeline.extra["won_amount"]) == (1, Decimal("150000.00"))
    assert "¥150,000.00" in response.content.decode()
    needs = next(row for row in pipeline.rows if row["count"] == 2)
    assert len(client.get(needs["url"]).context["leads"]) == 2
    won_list = client.get(pipeline.extra["won_url"]).content.decode()
    assert "成交" in won_list  # a won lead shows its stage, not 已接受


@time_machine.travel(MONDAY_10, tick=False)
def test_a_managers_workbench_shows_the_teams_late_work(rep_day, capture, client_for):
    # SPEC: LEAD-FUP-3, LEAD-ASN-1 — the team's late follow-ups and the leads nobody has
    capture(name="无人认领有限公司", mobile="13900004001", email="")
    leader = rep_day.team.leader
    client = client_for(leader)
    cards = cards_of(client.get("/"), "team")
    assert cards["团队逾期跟进"].value == 2  # 李明's and 张伟's
    assert cards["待分配线索"].value >= 1
    for label in ("团队逾期跟进", "待分配线索", "逾期未联系客户"):
        assert rows_behind(client, cards[label]) == cards[label].value, label


@time_machine.travel(MONDAY_10, tick=False)
def test_marketing_sees_todays_leads_by_channel_and_grade(capture, make_user, client_for):
    # SPEC: ANA-1 — today's leads per channel with their grades, each linked to its list
    with time_machine.travel(MONDAY_10 - timedelta(days=1), tick=False):
        capture(name="昨天有限公司", mobile="13900005000", email="")
    for n in range(3):
        capture(name=f"今天{n}有限公司", mobile=f"1390000500{n + 1}", email="")
    marketer = make_user("marketing")
    client = client_for(marketer)
    response = client.get("/")
    cards = cards_of(response, "marketing")
    assert cards["今日新线索"].value == 3
    assert rows_behind(client, cards["今日新线索"]) == 3
    section = next(s for s in response.context["sections"] if s.key == "marketing")
    assert [(row["channel"], row["total"]) for row in section.rows] == [("G", 3)]


def test_someone_with_no_work_sees_no_empty_sections(make_user, client_for):
    # A finance clerk has no leads, tickets or campaigns: no rep or team cards.
    response = client_for(make_user("finance")).get("/")
    assert [s.key for s in response.context["sections"]] == []
    assert "通知" in response.content.decode()  # the page still shows the notifications
