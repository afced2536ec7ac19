"""Staff performance (MKT-7): a month's figures from the records, scored by the scheme,
ranked with ties sharing a rank, awards proposed by rule and confirmed, and a closed
month frozen with later changes shown as the next month's adjustments."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadflow.analytics.models import Award
from leadflow.analytics.performance import (
    MeasureIn,
    award_decide,
    month_close,
    month_compute,
    ranks,
    results_visible_to,
    scheme_save,
)
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.customers.models import Customer
from leadflow.customers.profiles import customer_create
from leadflow.leads.assignment import escalate_unaccepted, lead_accept, lead_assign_manual
from leadflow.leads.capture import lead_capture
from leadflow.leads.cleaning import Consent
from leadflow.leads.models import Lead
from leadflow.sales.deals import deal_record
from leadflow.sales.models import TargetPlan
from leadflow.sales.targets import Who, target_plan_draft, target_set

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = date(2026, 3, 1)
APRIL_2ND = datetime(2026, 4, 2, 10, 0, tzinfo=SHANGHAI)


def test_ties_share_a_rank_and_the_next_skips():
    assert ranks([("a", Decimal(48)), ("b", Decimal(48)), ("c", Decimal(20))]) == {
        "a": 1,
        "b": 1,
        "c": 3,
    }


def sell(user, amount, day):
    customer = customer_create(values={"name": f"{user.display_name}的客户{amount}"}, by=user)
    moment = datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI)
    deal_record(
        customer=customer,
        owner=user,
        title="设备",
        amount=Decimal(amount),
        signed_on=day,
        opened_at=moment,
        won_at=moment,
        source="",
        by=None,
    )


@pytest.fixture
def month(org, make_user):
    boss = make_user("management", display_name="赵总")
    li = make_user(team=org.east, display_name="李明")
    zhang = make_user(team=org.east, display_name="张伟")
    chen = make_user(team=org.north, display_name="陈静")
    with time_machine.travel(datetime(2026, 1, 5, 10, tzinfo=SHANGHAI), tick=False):
        plan = target_plan_draft(year=2026, by=boss)
        for rep, year_amount in ((li, "120000"), (zhang, "120000"), (chen, "240000")):
            target_set(plan=plan, measure="sales", who=Who(user=rep), amount=year_amount, by=boss)
        TargetPlan.objects.filter(pk=plan.pk).update(state="approved")
    with time_machine.travel(datetime(2026, 3, 20, 10, tzinfo=SHANGHAI), tick=False):
        sell(li, "12000", date(2026, 3, 10))
        sell(zhang, "12000", date(2026, 3, 11))
        sell(chen, "10000", date(2026, 3, 12))
    return boss, li, zhang, chen


def test_a_month_is_scored_ranked_and_awarded(month):
    # SPEC: MKT-7 — scored against targets by the scheme; ranking with ties; awards by rule
    boss, li, zhang, chen = month
    with time_machine.travel(APRIL_2ND, tick=False):
        with pytest.raises(Forbidden):
            month_compute(month=MARCH, by=li)
        results = {r.user: r for r in month_compute(month=MARCH, by=boss)}
    # sales weight 40: 12000 / 10000 = 120 % (the cap) → 48; 10000 / 20000 → 20.
    # follow-ups weight 15 against 40: none → 0; no receipt, customer or contact targets.
    assert (results[li].points["sales"], results[li].points["followups"]) == ("48.00", "0.00")
    assert results[li].points["received"] is None
    assert [
        (r.score, r.rank, r.team_rank) for r in (results[li], results[zhang], results[chen])
    ] == [
        (Decimal("48.00"), 1, 1),
        (Decimal("48.00"), 1, 1),
        (Decimal("20.00"), 3, 1),
    ]
    assert results[li].figures["new_customers"] == "1"
    with time_machine.travel(APRIL_2ND, tick=False):
        month_close(month=MARCH, by=boss)
    champions = Award.objects.filter(month=MARCH, kind="champion")
    assert {award.user for award in champions} == {li, zhang}  # a tie: both
    award = champions.get(user=li)
    with time_machine.travel(APRIL_2ND, tick=False):
        award_decide(award=award, by=boss, confirm=True)
        with pytest.raises(Conflict):
            award_decide(award=award, by=boss, confirm=False)


def test_a_closed_month_is_frozen_and_late_changes_adjust_the_next(month):
    # SPEC: MKT-7 — a closed month's figures are frozen; corrections show next month
    boss, li, zhang, chen = month
    with time_machine.travel(APRIL_2ND, tick=False):
        month_close(month=MARCH, by=boss)
        with pytest.raises(Conflict):
            month_compute(month=MARCH, by=boss)
        sell(li, "3000", date(2026, 3, 28))  # entered late, for March
        april = {r.user: r for r in month_compute(month=date(2026, 4, 1), by=boss)}
    assert april[li].adjustments["sales"] == "3000.00"
    assert april[zhang].adjustments == {}
    march = results_visible_to(boss, MARCH).get(user=li)
    assert march.figures["sales"] == "12000.00"  # never rewritten


def test_each_sees_their_own_part(month, make_user, org):
    # SPEC: SEC-1 — a rep sees their own line; management everything
    boss, li, zhang, chen = month
    with time_machine.travel(APRIL_2ND, tick=False):
        month_compute(month=MARCH, by=boss)
    assert [r.user for r in results_visible_to(li, MARCH)] == [li]
    assert len(results_visible_to(boss, MARCH)) == 3


def test_the_page_computes_and_closes_and_the_api_answers(month, client_for, api_for):
    # SPEC: MKT-7 — the ranking page for managers; the API in the schema
    boss, li, zhang, chen = month
    with time_machine.travel(APRIL_2ND, tick=False):
        page = client_for(boss)
        page.post("/analytics/performance/?month=2026-03", {"action": "close"})
        shown = page.get("/analytics/performance/?month=2026-03").content.decode()
        assert "李明" in shown
        assert "48.00" in shown
        [own] = api_for(li).get("/api/v1/performance?month=2026-03").json()
        assert (own["rep"], own["rank"], own["score"]) == ("李明", 1, "48.00")


def test_acceptance_satisfaction_and_a_scheme_set_by_management(month):
    # SPEC: MKT-7 — leads accepted in time and satisfaction among the figures; the scheme is data
    boss, li, zhang, chen = month
    with time_machine.travel(datetime(2026, 3, 16, 9, tzinfo=SHANGHAI), tick=False):
        kept, missed = (
            lead_capture(
                values={
                    "name": name,
                    "contact_name": "王小明",
                    "mobile": mobile,
                    "industry": "制造业",
                    "need": "采购设备",
                    "channel": "G",
                    "channel_detail": "官网-产品页",
                },
                consent=Consent(notice_version="privacy-2026-01", channel="web"),
                via="api",
            ).lead
            for name, mobile in (("甲公司", "13800138001"), ("乙公司", "13800138002"))
        )
        for lead in (kept, missed):
            lead_assign_manual(lead=lead, rep=li, reason="客户指定", by=boss)
        lead_accept(lead=Lead.objects.get(pk=kept.pk), by=li)
    escalate_unaccepted(datetime(2026, 3, 18, 9, tzinfo=SHANGHAI))  # past the 24 h to accept
    Customer.objects.filter(owner=li).update(satisfaction=4)
    with pytest.raises(ValidationFailed) as refused:
        scheme_save(
            rows=[
                MeasureIn("followups", 10, target_from="targets"),
                MeasureIn("charm", 10, target=1),
                MeasureIn("satisfaction", 10, target=0),
            ],
            by=boss,
        )
    assert set(refused.value.fields) == {"followups.target_from", "charm", "satisfaction.target"}
    with pytest.raises(Forbidden):
        scheme_save(rows=[MeasureIn("satisfaction", 10, target=5)], by=li)
    scheme_save(
        rows=[MeasureIn("satisfaction", 10, target=5), MeasureIn("followups", 0, target=40)],
        by=boss,
    )
    with time_machine.travel(APRIL_2ND, tick=False):
        results = {r.user: r for r in month_compute(month=MARCH, by=boss)}
    assert results[li].figures["accepted_in_time"] == "50.00"  # 1 of the 2 given in March
    assert results[li].figures["satisfaction"] == "4.00"
    # satisfaction 4 of a fixed 5 at weight 10 → 8; follow-ups left out of the score now.
    assert (results[li].points["satisfaction"], "followups" in results[li].points) == (
        "8.00",
        False,
    )
    # 48 for sales + 8 + 15 for the one accepted lead's first contact, not yet late.
    assert (results[li].figures["first_contact"], results[li].score) == ("100.00", Decimal("71.00"))


def test_a_month_costs_the_same_queries_for_three_reps_or_thirty(month, make_user, org):
    # SPEC: MKT-7 — a month's figures are grouped queries, not a round of queries per rep
    boss = month[0]

    def queries() -> int:
        with time_machine.travel(APRIL_2ND, tick=False), CaptureQueriesContext(connection) as run:
            month_compute(month=MARCH, by=boss)
        return len(run.captured_queries)

    three = queries()
    for n in range(27):
        make_user(team=org.north, display_name=f"新人{n}")
    assert queries() == three
