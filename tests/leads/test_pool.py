"""Public pool (公海, LEAD-FUP-4): leads nobody works go back; reps claim within limits."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.core.company_settings import settings_update
from leadflow.core.errors import Conflict
from leadflow.leads.assignment import Assigner, lead_accept
from leadflow.leads.followup import followup_record
from leadflow.leads.models import LeadAssignment, LeadEvent, LeadStatus, RepProfile
from leadflow.leads.pool import lead_claim, return_idle_leads
from leadflow.leads.stages import lead_stage_set
from leadflow.notify.models import Notification
from tests.leads.conftest import accepted_lead, twice_at_once

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_10AM = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def reps(rep, make_user):
    return rep, make_user(display_name="张华")


def test_an_idle_lead_is_warned_then_goes_back_to_the_pool(capture, reps, client_for):
    # SPEC: LEAD-FUP-4 — no follow-up for 7 days: back to the pool; warned 2 days before.
    rep, _ = reps
    with time_machine.travel(MONDAY_10AM, tick=False):
        lead = accepted_lead(capture, rep)
    assert lead.pool_due_at == MONDAY_10AM + timedelta(days=7)

    assert return_idle_leads(MONDAY_10AM + timedelta(days=4)) == {"warned": 0, "returned": 0}
    assert return_idle_leads(MONDAY_10AM + timedelta(days=5, minutes=1)) == {
        "warned": 1,
        "returned": 0,
    }
    assert return_idle_leads(MONDAY_10AM + timedelta(days=5, minutes=2))["warned"] == 0
    lead.refresh_from_db()
    assert (lead.status, lead.pool_warned, lead.owner) == (LeadStatus.ACCEPTED, True, rep)
    page = client_for(rep).get("/leads/?status=pool_soon").content.decode()
    assert lead.number in page
    assert "待进入公海" in page

    assert return_idle_leads(MONDAY_10AM + timedelta(days=7, minutes=1)) == {
        "warned": 0,
        "returned": 1,
    }
    assert return_idle_leads(MONDAY_10AM + timedelta(days=7, minutes=2))["returned"] == 0
    lead.refresh_from_db()
    assert (lead.status, lead.owner, lead.next_due_at, lead.pool_due_at) == (
        LeadStatus.POOL,
        None,
        None,
        None,
    )
    returned = LeadAssignment.objects.get(lead=lead, kind=LeadAssignment.Kind.RETURNED)
    assert (returned.rep, returned.previous) == (None, rep)
    assert "7" in returned.reason
    assert LeadEvent.objects.filter(lead=lead, kind="returned_to_pool").count() == 1
    notices = Notification.objects.filter(recipient=rep, level="warning").order_by("id")
    assert [n.url for n in notices if "pool" in n.url] == [
        "/leads/?status=pool_soon",
        "/leads/pool/",
    ]


def test_a_follow_up_starts_the_idle_clock_again_but_not_the_unwon_one(capture, reps, admin_user):
    # SPEC: LEAD-FUP-4 — N days without follow-up, or M days not won, whichever is first.
    rep, _ = reps
    settings_update(changes={"pool.unwon_days": 20}, by=admin_user)
    with time_machine.travel(MONDAY_10AM, tick=False):
        lead = accepted_lead(capture, rep)
    for day in (5, 10, 15):
        moment = MONDAY_10AM + timedelta(days=day)
        with time_machine.travel(moment, tick=False):
            followup_record(lead=lead, by=rep, contact_at=moment, method="phone", feedback="在比较")
        assert return_idle_leads(moment + timedelta(minutes=1))["returned"] == 0
    lead.refresh_from_db()
    assert lead.pool_due_at == MONDAY_10AM + timedelta(days=20)  # not won in 20 days
    assert return_idle_leads(MONDAY_10AM + timedelta(days=20, minutes=1))["returned"] == 1
    returned = LeadAssignment.objects.get(lead=lead, kind=LeadAssignment.Kind.RETURNED)
    assert "20" in returned.reason


def test_won_lost_and_paused_leads_never_go_back(capture, reps):
    # SPEC: LEAD-FUP-4 — only leads still being worked return.
    rep, _ = reps
    with time_machine.travel(MONDAY_10AM, tick=False):
        won = accepted_lead(capture, rep)
        paused = accepted_lead(capture, rep, name="北京某某公司", mobile="13900139000", email="")
        lead_stage_set(
            lead=won,
            stage="won",
            fact="签约",
            by=rep,
            deal_amount=Decimal("10000"),
            deal_date=date(2026, 3, 2),
        )
        lead_stage_set(lead=paused, stage="paused", fact="客户说下季度再谈", by=rep)
    assert return_idle_leads(MONDAY_10AM + timedelta(days=200))["returned"] == 0


def test_a_rep_claims_a_pool_lead_and_the_previous_owner_waits(capture, reps, admin_user):
    # SPEC: LEAD-FUP-4 — claim into one's own leads, accepted at once; every claim and
    # return in the ownership log; the previous owner waits 7 days to re-claim.
    rep, other = reps
    with time_machine.travel(MONDAY_10AM, tick=False):
        lead = accepted_lead(capture, rep)
    returned_at = MONDAY_10AM + timedelta(days=7, minutes=1)
    return_idle_leads(returned_at)
    lead.refresh_from_db()

    with time_machine.travel(returned_at + timedelta(hours=1), tick=False):
        with pytest.raises(Conflict) as refused:
            lead_claim(lead=lead, by=rep)
        assert "2026-03-16" in refused.value.message
    with time_machine.travel(returned_at + timedelta(days=1), tick=False):
        lead_claim(lead=lead, by=other)
    lead.refresh_from_db()
    assert (lead.status, lead.owner, lead.stage) == (LeadStatus.ACCEPTED, other, "initial")
    assert lead.next_due_at is not None
    assert lead.pool_due_at is not None
    kinds = list(LeadAssignment.objects.filter(lead=lead).order_by("at").values_list("kind"))
    assert kinds == [("manual",), ("returned",), ("claimed",)]

    with pytest.raises(Conflict):  # no longer in the pool
        lead_claim(lead=lead, by=rep)


def test_claims_stay_within_the_daily_and_open_lead_limits(capture, reps, admin_user):
    # SPEC: LEAD-FUP-4 — a per-rep limit of open leads and a daily claim limit.
    rep, other = reps
    settings_update(changes={"pool.daily_claims": 2}, by=admin_user)
    with time_machine.travel(MONDAY_10AM, tick=False):
        leads = [
            accepted_lead(capture, rep, name=f"公司{n}", mobile=f"1390013900{n}", email="")
            for n in range(3)
        ]
    return_idle_leads(MONDAY_10AM + timedelta(days=8))
    with time_machine.travel(MONDAY_10AM + timedelta(days=8, hours=1), tick=False):
        for lead in leads[:2]:
            lead.refresh_from_db()
            lead_claim(lead=lead, by=other)
        leads[2].refresh_from_db()
        with pytest.raises(Conflict) as refused:
            lead_claim(lead=leads[2], by=other)
        assert refused.value.fields == {"claimed_today": "2 / 2"}

    RepProfile.objects.create(user=other, capacity=2)
    with time_machine.travel(MONDAY_10AM + timedelta(days=9, hours=1), tick=False):
        with pytest.raises(Conflict) as refused:
            lead_claim(lead=leads[2], by=other)
        assert refused.value.fields == {"open_leads": "2 / 2"}
        lead_stage_set(lead=leads[0], stage="lost", fact="选了别家", reason="价格", by=other)
        lead_claim(lead=leads[2], by=other)  # a lost lead is no longer open


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_return_each_lead_once(capture, make_user):
    # SPEC: LEAD-FUP-4 — the sweep is safe with two workers at once. (No audit log here:
    # a transactional test empties the database after, and the log refuses deletes.)
    rep = make_user()
    with time_machine.travel(MONDAY_10AM, tick=False):
        for n in range(6):
            lead = capture(name=f"公司{n}", mobile=f"1380013800{n}", email="").lead
            Assigner.load().give(lead, rep, kind="manual", reason="", by=None, match={})
            lead_accept(lead=lead, by=rep)
    moment = MONDAY_10AM + timedelta(days=8)
    results = twice_at_once(lambda: return_idle_leads(moment))
    assert sum(result["returned"] for result in results) == 6
    assert LeadAssignment.objects.filter(kind=LeadAssignment.Kind.RETURNED).count() == 6


def test_the_pool_through_the_api_and_the_page(capture, reps, api_for, client_for, make_user):
    # SPEC: LEAD-FUP-4 — list and claim by API and UI; no phone before the claim.
    rep, other = reps
    with time_machine.travel(MONDAY_10AM, tick=False):
        lead = accepted_lead(capture, rep)
    return_idle_leads(MONDAY_10AM + timedelta(days=8))

    body = api_for(other).get("/api/v1/pool").json()
    assert [item["number"] for item in body["items"]] == [lead.number]
    assert "mobile" not in body["items"][0]
    assert body["limits"] == {
        "open_leads": 0,
        "open_limit": 50,
        "claimed_today": 0,
        "daily_limit": 5,
    }
    assert (
        api_for(make_user("customer_service")).post(f"/api/v1/leads/{lead.pk}/claim").status_code
        == 404
    )

    page = client_for(other).get("/leads/pool/").content.decode()
    assert lead.number in page
    assert f"/leads/{lead.pk}/claim/" in page
    response = client_for(other).post(f"/leads/{lead.pk}/claim/")
    assert response.status_code == 302
    assert response["Location"] == f"/leads/{lead.pk}/"
    detail = api_for(other).get(f"/api/v1/leads/{lead.pk}").json()
    assert (detail["owner"]["id"], detail["status"]) == (other.pk, "accepted")
    assert detail["pool_due_at"] is not None
    assert detail["pool_warned"] is False

    refused = api_for(rep).post(f"/api/v1/leads/{lead.pk}/claim")
    assert refused.status_code == 404  # gone from the pool: nothing to claim
