"""Follow-up (LEAD-FUP-1…3): deadlines, records, and the sweep that never forgets one."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.core.company_settings import settings_update
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.leads.assignment import Assigner, lead_accept, lead_assign_manual
from leadflow.leads.followup import followup_record, remind_overdue
from leadflow.leads.models import FollowUpDue, FollowUpLapse, LeadStatus
from leadflow.leads.stages import lead_stage_set
from leadflow.notify.models import Notification
from tests.leads.conftest import accepted_lead, twice_at_once

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
FRIDAY_5PM = datetime(2026, 3, 6, 17, 0, tzinfo=SHANGHAI)


def test_the_first_contact_deadline_counts_working_time(capture, rep):
    # SPEC: LEAD-FUP-1 — high priority: 4 working hours; Friday 17:00 + 4 h → Monday 12:00.
    with time_machine.travel(FRIDAY_5PM, tick=False):
        lead = accepted_lead(capture, rep, employees=800)  # 制造业 + 500+: grade A, high
    assert lead.priority == "high"
    assert lead.next_due_at == datetime(2026, 3, 9, 12, 0, tzinfo=SHANGHAI)


def test_plain_hours_when_the_company_says_so(capture, rep, admin_user):
    # SPEC: LEAD-FUP-1 — medium: 24 h.
    settings_update(changes={"followup.working_time": False}, by=admin_user)
    with time_machine.travel(FRIDAY_5PM, tick=False):
        lead = accepted_lead(capture, rep)
    assert lead.priority == "medium"
    assert lead.next_due_at == FRIDAY_5PM + timedelta(hours=24)


def test_a_follow_up_sets_the_next_deadline_and_late_entries_are_flagged(capture, rep, admin_user):
    # SPEC: LEAD-FUP-2 — written within 1 h or flagged; cadence every 3 days (medium).
    settings_update(changes={"followup.working_time": False}, by=admin_user)
    with time_machine.travel(FRIDAY_5PM, tick=False):
        lead = accepted_lead(capture, rep)
    contact = FRIDAY_5PM + timedelta(hours=1)
    with time_machine.travel(contact + timedelta(minutes=30), tick=False):
        on_time = followup_record(
            lead=lead, by=rep, contact_at=contact, method="phone", feedback="有兴趣，要报价"
        )
    assert not on_time.late
    lead.refresh_from_db()
    assert lead.next_due_at == contact + timedelta(days=3)
    assert lead.first_contact_at == contact
    with time_machine.travel(contact + timedelta(hours=5), tick=False):
        late = followup_record(
            lead=lead,
            by=rep,
            contact_at=contact + timedelta(hours=2),
            method="wechat",
            feedback="发了报价单",
            intent="up",
            next_step="周一电话确认",
            next_at=contact + timedelta(days=2),
        )
    assert late.late
    lead.refresh_from_db()
    assert lead.next_due_at == contact + timedelta(days=2)  # the rep's own date wins


def test_a_follow_up_with_bad_values_changes_nothing(capture, rep, make_user):
    # SPEC: LEAD-FUP-2 — each refused field named; nothing saved.
    lead = accepted_lead(capture, rep)
    due = lead.next_due_at
    with pytest.raises(ValidationFailed) as refused:
        followup_record(
            lead=lead,
            by=rep,
            contact_at=lead.accepted_at + timedelta(days=2),
            method="fax",
            feedback=" ",
        )
    assert set(refused.value.fields) == {"contact_at", "method", "feedback"}
    with pytest.raises(Forbidden):
        followup_record(
            lead=lead, by=make_user(), contact_at=lead.accepted_at, method="phone", feedback="x"
        )
    lead.refresh_from_db()
    assert lead.next_due_at == due
    assert not lead.followups.exists()


def test_the_sweep_reminds_once_then_escalates_once(capture, rep, admin_user):
    # SPEC: LEAD-FUP-3 — idempotent: a second sweep tells nobody again.
    settings_update(changes={"followup.working_time": False}, by=admin_user)
    with time_machine.travel(FRIDAY_5PM, tick=False):
        lead = accepted_lead(capture, rep)
    due = lead.next_due_at
    assert remind_overdue(due - timedelta(minutes=1)) == {"reminded": 0, "escalated": 0}
    assert remind_overdue(due + timedelta(minutes=1)) == {"reminded": 1, "escalated": 0}
    assert remind_overdue(due + timedelta(minutes=2)) == {"reminded": 0, "escalated": 0}
    [lapse] = FollowUpLapse.objects.all()
    assert (lapse.rep, lapse.kind, lapse.due_at) == (rep, "first", due)
    assert Notification.objects.filter(recipient=rep, level="warning").count() == 1

    later = due + timedelta(hours=24, minutes=1)
    assert remind_overdue(later) == {"reminded": 0, "escalated": 1}
    assert remind_overdue(later) == {"reminded": 0, "escalated": 0}
    manager_notices = Notification.objects.filter(recipient=rep.team.leader, level="warning")
    assert manager_notices.count() == 1

    followup_record(lead=lead, by=rep, contact_at=later, method="phone", feedback="已联系")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED
    due_row = FollowUpDue.objects.get(lead=lead)
    assert (due_row.due_at, due_row.overdue_stage) == (lead.next_due_at, 0)


def test_a_lead_handed_on_takes_its_deadline_to_the_new_rep_only(capture, rep, make_user):
    # SPEC: LEAD-FUP-3 — the sweep reminds whoever holds the lead now, nobody else.
    with time_machine.travel(FRIDAY_5PM, tick=False):
        lead = accepted_lead(capture, rep)
    due = lead.next_due_at
    newcomer = make_user(team=rep.team, display_name="赵六")
    with time_machine.travel(due - timedelta(hours=1), tick=False):
        lead_assign_manual(lead=lead, rep=newcomer, reason="李明休假", by=rep.team.leader)
    assert not FollowUpDue.objects.filter(lead=lead).exists()
    assert remind_overdue(due + timedelta(hours=1)) == {"reminded": 0, "escalated": 0}
    with time_machine.travel(due + timedelta(hours=2), tick=False):
        lead_accept(lead=lead, by=newcomer)
    assert FollowUpDue.objects.get(lead=lead).owner == newcomer
    lead.refresh_from_db()
    assert remind_overdue(lead.next_due_at + timedelta(minutes=1))["reminded"] == 1
    assert FollowUpLapse.objects.get().rep == newcomer


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_sweeping_at_once_tell_each_rep_once(capture, make_user):
    # SPEC: LEAD-FUP-3 — safe with two workers at once. (Nothing here writes the audit
    # log: a transactional test empties the database after, and the log refuses deletes.)
    rep, leads = make_user(), []
    with time_machine.travel(FRIDAY_5PM, tick=False):
        for n in range(6):
            lead = capture(name=f"公司{n}", mobile=f"1380013800{n}", email="").lead
            Assigner.load().give(lead, rep, kind="manual", reason="", by=None, match={})
            lead_accept(lead=lead, by=rep)
            lead.refresh_from_db()
            leads.append(lead)
    moment = leads[0].next_due_at + timedelta(minutes=1)
    results = twice_at_once(lambda: remind_overdue(moment))
    assert sum(result["reminded"] for result in results) == 6
    assert FollowUpLapse.objects.count() == 6
    # One notice per sweep that found something, each listing its own leads.
    assert Notification.objects.filter(recipient=rep, level="warning").count() <= 2


def test_follow_ups_through_the_api_and_the_lists(capture, rep, api_for, admin_user):
    # SPEC: LEAD-FUP-2, LEAD-FUP-3 — record by API; overdue / today / week lists.
    settings_update(changes={"followup.working_time": False}, by=admin_user)
    with time_machine.travel(FRIDAY_5PM, tick=False):
        lead = accepted_lead(capture, rep)
    api = api_for(rep)
    with time_machine.travel(FRIDAY_5PM + timedelta(hours=25), tick=False):
        overdue = api.get("/api/v1/follow-ups/due?when=overdue").json()
        assert [item["number"] for item in overdue] == [lead.number]
        body = {
            "contact_at": (FRIDAY_5PM + timedelta(hours=25)).isoformat(),
            "method": "visit",
            "feedback": "上门拜访，确认需求",
            "intent": "up",
            "next_at": (FRIDAY_5PM + timedelta(days=2)).isoformat(),  # Sunday, this week
        }
        created = api.post(
            f"/api/v1/leads/{lead.pk}/follow-ups", body, content_type="application/json"
        )
        assert created.status_code == 201
        assert created.json()["late"] is False
        assert api.get("/api/v1/follow-ups/due?when=overdue").json() == []
        week = api.get("/api/v1/follow-ups/due?when=week").json()
        assert [item["number"] for item in week] == [lead.number]
        manager = api_for(rep.team.leader).get("/api/v1/follow-ups/due?when=week").json()
        assert [item["number"] for item in manager] == [lead.number]  # the team view
    listed = api.get(f"/api/v1/leads/{lead.pk}/follow-ups").json()
    assert [(item["method"], item["by"]) for item in listed] == [("visit", "李明")]


def test_the_lead_page_takes_a_follow_up_and_the_list_shows_overdue(capture, rep, client_for):
    # SPEC: LEAD-FUP-2, LEAD-FUP-3
    with time_machine.travel(FRIDAY_5PM, tick=False):
        lead = accepted_lead(capture, rep)
    client = client_for(rep)
    with time_machine.travel(lead.next_due_at + timedelta(minutes=5), tick=False):
        assert lead.number in client.get("/leads/followups/?when=overdue").content.decode()
        page = client.get(f"/leads/{lead.pk}/").content.decode()
        assert 'name="feedback"' in page
        client.post(
            f"/leads/{lead.pk}/follow-ups/",
            {
                "contact_at": "2026-03-09 10:00",
                "method": "phone",
                "feedback": "电话沟通",
                "intent": "same",
            },
        )
        assert lead.number not in client.get("/leads/followups/?when=overdue").content.decode()
    assert lead.followups.get().feedback == "电话沟通"


def test_stages_move_with_a_fact_and_refuse_what_breaks_a_rule(capture, rep, make_user):
    # SPEC: LEAD-STS-1, LEAD-STS-2
    lead = accepted_lead(capture, rep)
    assert lead.stage == "initial"
    lead_stage_set(lead=lead, stage="needs", fact="客户确认需要 20 台设备", by=rep)
    with pytest.raises(ValidationFailed) as refused:
        lead_stage_set(lead=lead, stage="won", fact="签约", by=rep)
    assert set(refused.value.fields) == {"deal_amount", "deal_date"}
    with pytest.raises(ValidationFailed) as refused:
        lead_stage_set(lead=lead, stage="invalid", fact="联系不上", by=rep, reason="busy")
    assert "reason" in refused.value.fields
    lead_stage_set(lead=lead, stage="invalid", fact="三次未接通", by=rep, reason="unreachable")
    lead.refresh_from_db()
    assert (lead.stage, lead.next_due_at) == ("invalid", None)  # no more deadlines
    assert lead.furthest_stage == "needs"  # how far it got, kept for the funnel (ANA-2)
    with pytest.raises(Forbidden):
        lead_stage_set(lead=lead, stage="needs", fact="客户回电", by=rep)
    manager = rep.team.leader
    lead_stage_set(lead=lead, stage="needs", fact="客户回电", by=manager)
    lead_stage_set(
        lead=lead,
        stage="won",
        fact="合同已签",
        by=rep,
        deal_amount=Decimal("128000.00"),
        deal_date=date(2026, 3, 20),
    )
    lead.refresh_from_db()
    assert (lead.stage, lead.deal_amount) == ("won", Decimal("128000.00"))
    with pytest.raises(Conflict):
        lead_stage_set(lead=lead, stage="lost", fact="客户反悔", by=manager, reason="价格")
    moves = [(e.data["from"], e.data["to"]) for e in lead.events.filter(kind="stage")]
    assert moves == [
        ("initial", "needs"),
        ("needs", "invalid"),
        ("invalid", "needs"),
        ("needs", "won"),
    ]


def test_the_stage_api_answers_with_the_rule(capture, rep, api_for):
    # SPEC: LEAD-STS-2 — a refused move names the field and the reason.
    lead = accepted_lead(capture, rep)
    api = api_for(rep)
    url = f"/api/v1/leads/{lead.pk}/stage"
    refused = api.post(url, {"stage": "lost", "fact": "选了别家"}, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == {"reason": "“流失”需要原因：客户为何流失"}
    moved = api.post(
        url,
        {"stage": "comparing", "fact": "客户在比较三家方案"},
        content_type="application/json",
    )
    assert (moved.status_code, moved.json()["stage"]) == (200, "comparing")


def test_the_stage_board_shows_each_lead_in_its_column(capture, rep, client_for):
    # SPEC: LEAD-STS-1 — the kanban; dragging calls POST /api/v1/leads/{id}/stage (above).
    lead = accepted_lead(capture, rep)
    lead_stage_set(lead=lead, stage="negotiating", fact="报价已接受，谈付款条件", by=rep)
    page = client_for(rep).get("/leads/board/").content.decode()
    negotiating = page.split('data-stage="negotiating"')[1].split("</section>")[0]
    assert lead.number in negotiating
    assert 'data-stage="won" data-needs-form="1"' in page
    team_view = client_for(rep.team.leader).get("/leads/board/").content.decode()
    assert lead.number in team_view


def test_supervision_counts_lapses_and_late_entries_per_rep(capture, rep, client_for, admin_user):
    # SPEC: LEAD-FUP-3 — 跟进监督: repeated lapses show per rep; the table exports.
    settings_update(changes={"followup.working_time": False}, by=admin_user)
    with time_machine.travel(FRIDAY_5PM, tick=False):
        lead = accepted_lead(capture, rep)
    remind_overdue(lead.next_due_at + timedelta(minutes=1))
    contact = lead.next_due_at + timedelta(hours=1)
    with time_machine.travel(contact + timedelta(hours=3), tick=False):
        followup_record(lead=lead, by=rep, contact_at=contact, method="phone", feedback="补录")
        manager = client_for(rep.team.leader)
        page = manager.get("/leads/supervision/?days=30").content.decode()
        row = page.split("李明")[1].split("</tr>")[0]
        cells = [cell.split(">")[-1] for cell in row.split("</td>")[1:-1]]
        assert cells == ["1", "0", "0", "1", "1"]  # missed first contact; 1 follow-up, late
        rep_page = client_for(rep).get("/leads/supervision/")
        assert rep_page.status_code == 403
