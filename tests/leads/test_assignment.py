"""Assignment (LEAD-ASN-1…7): weighted rules, capacity, fairness, accept/decline, timeouts."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from leadflow.core.company_settings import settings_update
from leadflow.core.errors import Conflict, ValidationFailed
from leadflow.leads.assignment import (
    Candidate,
    Weights,
    assign_waiting_leads,
    lead_accept,
    lead_assign_manual,
    lead_decline,
    rank_reps,
)
from leadflow.leads.models import Lead, LeadAssignment, LeadStatus, RepProfile
from leadflow.leads.reassignment import reassign_request_create, reassign_request_decide
from leadflow.notify.models import Notification

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_equal_leads_over_equal_reps_are_shared_exactly():
    # SPEC: LEAD-ASN-2 — fairness: 300 equal leads over 3 equal reps give 100 each.
    reps = [Candidate(rep_id=n, capacity=1000) for n in (1, 2, 3)]
    received = {1: 0, 2: 0, 3: 0}
    for minute in range(300):
        best = rank_reps(Weights(), {"region": "上海"}, reps)[0].candidate
        best.received += 1
        best.open_leads += 1
        best.last_assigned = START + timedelta(minutes=minute)
        received[best.rep_id] += 1
    assert received == {1: 100, 2: 100, 3: 100}


def test_the_highest_weighted_match_wins_and_capacity_and_leave_are_respected():
    # SPEC: LEAD-ASN-1 (region 40 / industry 30 / priority 30), LEAD-ASN-2
    region = Candidate(rep_id=1, regions=frozenset({"上海"}))
    industry_and_priority = Candidate(
        rep_id=2, industries=frozenset({"制造业"}), priorities=frozenset({"high"})
    )
    industry = Candidate(rep_id=3, industries=frozenset({"制造业"}))
    lead = {"region": "上海市浦东新区", "industry": "制造业", "priority": "high"}
    ranked = rank_reps(Weights(), lead, [region, industry_and_priority, industry])
    assert [choice.candidate.rep_id for choice in ranked] == [2, 1, 3]
    assert ranked[0].match == {"region": 0, "industry": 30, "priority": 30, "total": 60}
    industry_and_priority.available = False  # on leave
    region.open_leads = region.capacity  # full
    assert [
        c.candidate.rep_id
        for c in rank_reps(Weights(), lead, [region, industry_and_priority, industry])
    ] == [3]


@pytest.fixture
def reps(org, make_user):
    manager = make_user("sales_manager", team=org.east)
    org.east.leader = manager
    org.east.save()
    people = [make_user(team=org.east, display_name=name) for name in ("张三", "李四", "王五")]
    for person in people:
        RepProfile.objects.create(user=person, regions="上海", industries="制造业", capacity=20)
    return people


def test_a_new_lead_is_assigned_at_once_and_the_rep_is_told(reps, capture, run_tasks):
    # SPEC: LEAD-ASN-4 — number, customer, contact, need and the accept deadline.
    with time_machine.travel(START, tick=False):
        lead = capture(region="上海", contact_name="王小明").lead
        run_tasks()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ASSIGNED
    assert lead.owner in reps
    assert lead.accept_by == START + timedelta(hours=24)
    [notice] = Notification.objects.filter(recipient=lead.owner)
    assert lead.number in notice.title
    assert "王小明" in notice.body
    assert "采购设备" in notice.body
    assert "2026-03-03 17:00" in notice.body  # 24 h later, in company time (UTC+8)


def test_a_lead_nobody_can_take_waits_with_the_reason(reps, capture, run_tasks):
    # SPEC: LEAD-ASN-2
    RepProfile.objects.update(available=False)
    lead = capture().lead
    run_tasks()
    assign_waiting_leads(START)
    lead.refresh_from_db()
    assert (lead.status, lead.owner) == (LeadStatus.TO_ASSIGN, None)
    assert "3 人不可用" in lead.waiting_reason  # in the company language


def test_a_decline_within_two_hours_goes_to_the_next_rep_never_back(reps, capture, run_tasks):
    # SPEC: LEAD-ASN-5
    with time_machine.travel(START, tick=False):
        lead = capture().lead
        run_tasks()
        lead.refresh_from_db()
        first = lead.owner
        with pytest.raises(ValidationFailed):
            lead_decline(lead=lead, by=first, reason=" ")
        lead_decline(lead=lead, by=first, reason="不熟悉该行业")
    lead.refresh_from_db()
    second = lead.owner
    assert second not in (None, first)
    with time_machine.travel(START + timedelta(hours=2, minutes=1), tick=False):
        with pytest.raises(Conflict):
            lead_decline(lead=lead, by=second, reason="太忙")
        lead_accept(lead=lead, by=second)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED
    history = list(LeadAssignment.objects.filter(lead=lead).order_by("at", "id"))
    assert [(a.rep, a.kind, a.previous) for a in history] == [
        (first, "auto", None),
        (second, "declined", first),  # the ownership log says whom it came from
    ]
    assert history[0].decline_reason == "不熟悉该行业"
    assert history[1].accepted_at is not None


def test_not_accepted_in_time_escalates_to_the_manager_and_reassigns(reps, capture, run_tasks):
    # SPEC: LEAD-ASN-5
    with time_machine.travel(START, tick=False):
        lead = capture().lead
        run_tasks()
    lead.refresh_from_db()
    first = lead.owner
    manager = first.team.leader
    result = assign_waiting_leads(START + timedelta(hours=23))
    assert result["timed_out"] == 0
    with time_machine.travel(START + timedelta(hours=24, minutes=1), tick=False):
        result = assign_waiting_leads(START + timedelta(hours=24, minutes=1))
    assert result["timed_out"] == 1
    lead.refresh_from_db()
    assert lead.owner not in (None, first)
    assert Notification.objects.filter(recipient=manager, title__contains=lead.number).exists()
    handed_on = LeadAssignment.objects.filter(lead=lead).first()
    assert (handed_on.kind, handed_on.previous) == ("timeout", first)


def test_a_manager_assigns_by_hand_with_a_reason(reps, capture, run_tasks, make_user):
    # SPEC: LEAD-ASN-3
    lead = capture().lead
    run_tasks()
    manager = reps[0].team.leader
    with pytest.raises(ValidationFailed):
        lead_assign_manual(lead=lead, rep=reps[2], reason="", by=manager)
    lead_assign_manual(lead=lead, rep=reps[2], reason="客户指定对接销售代表王五", by=manager)
    lead.refresh_from_db()
    assert lead.owner == reps[2]
    manual = LeadAssignment.objects.filter(lead=lead).first()
    assert (manual.kind, manual.reason, manual.by) == (
        "manual",
        "客户指定对接销售代表王五",
        manager,
    )


def test_a_reassignment_request_approved_by_marketing(reps, capture, run_tasks, make_user):
    # SPEC: LEAD-ASN-6
    lead = capture().lead
    run_tasks()
    lead.refresh_from_db()
    owner = lead.owner
    marketing = make_user("marketing")  # marketing decides: a task each when it is asked
    request = reassign_request_create(lead=lead, by=owner, reason="客户在北京，不在我的区域")
    reassign_request_decide(request=request, approve=True, by=marketing, note="同意")
    lead.refresh_from_db()
    assert lead.owner not in (None, owner)
    assert LeadAssignment.objects.filter(lead=lead, kind="request").exists()


def test_grade_c_leads_go_to_nurture_when_the_company_says_so(reps, capture, run_tasks, admin_user):
    # SPEC: LEAD-ASN-7
    settings_update(changes={"assign.nurture_grade_c": True}, by=admin_user)
    lead = capture(industry="零售").lead  # scores 0: grade C
    run_tasks()
    lead.refresh_from_db()
    assert (lead.status, lead.owner) == (LeadStatus.NURTURE, None)


def test_imported_leads_are_assigned_by_the_sweep_within_capacity(reps, capture):
    # SPEC: LEAD-ASN-2 — the sweep assigns waiting leads, best grade first, up to capacity.
    RepProfile.objects.update(capacity=2)
    for n in range(8):
        capture(name=f"公司{n}", mobile=f"1380013800{n}", email="")  # queued, not yet assigned
    result = assign_waiting_leads(START)
    assert result["assigned"] == 6
    loads = sorted(Lead.objects.filter(owner__in=reps).values_list("owner_id", flat=True))
    assert [loads.count(rep.pk) for rep in reps] == [2, 2, 2]
    waiting = Lead.objects.filter(status=LeadStatus.TO_ASSIGN)
    assert waiting.count() == 2
    assert all("3 人已满额" in lead.waiting_reason for lead in waiting)


def test_the_api_accepts_declines_assigns_and_handles_requests(
    reps, capture, run_tasks, api_for, make_user
):
    # SPEC: LEAD-ASN-3, -5, -6 — the same services through HTTP.
    lead = capture().lead
    run_tasks()
    lead.refresh_from_db()
    owner = lead.owner
    api = api_for(owner)
    declined = api.post(
        f"/api/v1/leads/{lead.pk}/decline", {"reason": "出差"}, content_type="application/json"
    )
    assert declined.status_code == 200
    assert declined.json()["owner"]["id"] != owner.pk

    lead.refresh_from_db()
    second = api_for(lead.owner)
    accepted = second.post(f"/api/v1/leads/{lead.pk}/accept")
    assert (accepted.status_code, accepted.json()["status"]) == (200, "accepted")
    assert accepted.json()["accepted_at"] is not None

    marketing = api_for(make_user("marketing"))
    asked = second.post(
        f"/api/v1/leads/{lead.pk}/reassign-requests",
        {"reason": "客户要求换人"},
        content_type="application/json",
    )
    assert asked.status_code == 201
    [pending] = marketing.get("/api/v1/approvals?box=todo").json()["items"]
    assert (pending["snapshot"]["lead"], pending["reason"]) == (lead.number, "客户要求换人")
    decided = marketing.post(
        f"/api/v1/approvals/{pending['id']}/decide",
        {"decision": "reject", "comment": "请继续跟进"},
        content_type="application/json",
    )
    assert decided.json().get("state") == "rejected", decided.json()

    body = {"rep_id": reps[0].pk, "reason": "客户指定"}
    assert (
        second.post(
            f"/api/v1/leads/{lead.pk}/assign", body, content_type="application/json"
        ).status_code
        == 403
    )
    manager = api_for(reps[0].team.leader)
    assigned = manager.post(
        f"/api/v1/leads/{lead.pk}/assign", body, content_type="application/json"
    )
    assert assigned.json()["owner"]["id"] == reps[0].pk


def test_a_rep_accepts_from_the_inbox_and_a_manager_sees_the_board(
    reps, capture, run_tasks, client_for
):
    # SPEC: LEAD-ASN-2, LEAD-ASN-5 — the rep's inbox and the manager's assignment board.
    lead = capture().lead
    run_tasks()
    lead.refresh_from_db()
    rep_client = client_for(lead.owner)
    inbox = rep_client.get("/leads/inbox/").content.decode()
    assert lead.number in inbox
    rep_client.post(f"/leads/{lead.pk}/accept/", {"next": "/leads/inbox/"})
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED
    assert f'href="/leads/{lead.pk}/"' not in rep_client.get("/leads/inbox/").content.decode()
    assert rep_client.get("/leads/assignment/").status_code == 403

    manager = client_for(reps[0].team.leader)
    board = manager.get("/leads/assignment/").content.decode()
    assert all(str(rep) in board for rep in reps)
    assert "1 / 20" in board  # the owner's open leads against capacity


def test_a_reps_profile_is_edited_with_its_priorities_checked(reps, client_for):
    # SPEC: LEAD-ASN-1
    manager = client_for(reps[0].team.leader)
    url = f"/leads/assignment/reps/{reps[0].pk}/"
    form = {"regions": "上海,江苏", "industries": "制造业", "capacity": 30, "available": "on"}
    refused = manager.post(url, {**form, "priorities": "urgent"}, follow=True)
    assert "未知：urgent" in refused.content.decode()
    manager.post(url, {**form, "priorities": "high, medium"})
    profile = RepProfile.objects.get(user=reps[0])
    assert (profile.regions, profile.priorities, profile.capacity) == (
        "上海,江苏",
        "high, medium",
        30,
    )


def test_a_rep_takes_the_teams_regions_where_their_own_are_empty(
    org, reps, make_user, capture, run_tasks, client_for
):
    # SPEC: LEAD-ASN-1 — rules per rep or per team.
    northerner = make_user(team=org.north, display_name="赵六")
    RepProfile.objects.create(user=northerner, capacity=20)  # no regions of their own
    manager = client_for(reps[0].team.leader)
    response = manager.post(
        f"/leads/assignment/teams/{org.north.pk}/",
        {"regions": "北京,天津", "industries": "", "priorities": ""},
    )
    assert response.status_code == 302
    lead = capture(region="北京市朝阳区", industry="零售").lead
    run_tasks()
    lead.refresh_from_db()
    assert lead.owner == northerner  # region 40 beats the East China reps' 0
