"""The approval engine (MKT-2, MKT-5, MKT-6, LEAD-ASN-6, SEC-4): flows as data, steps
with conditions, any-of and all-of, return and resubmit, delegation, 加签 and 抄送,
deadlines in working hours, exactly one decision, scope, and bad decisions refused."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.approvals.deadlines import approval_deadlines
from leadflow.approvals.engine import (
    approval_approver_add,
    approval_copy,
    approval_decide,
    approval_resubmit,
    approval_submit,
    approval_withdraw,
    delegation_set,
)
from leadflow.approvals.flows import flow_step_save
from leadflow.approvals.models import ApprovalRequest, ApprovalTask, FlowStep
from leadflow.approvals.queries import request_for, todo_count, waiting_tasks
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.models import AuditLog
from leadflow.core.worktime import WorkCalendar
from leadflow.notify.models import Notification
from tests.approvals.conftest import CLOSED, all_at_once

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
FRIDAY_5PM = datetime(2026, 3, 6, 17, 0, tzinfo=SHANGHAI)


def claim(people, amount, purpose="展会物料"):
    return approval_submit(
        kind="test_claim",
        subject=people.rep.department,
        by=people.rep,
        reason=f"{purpose} {amount} 元",
        title=f"报销 {amount} 元",
        values={"amount": amount, "purpose": purpose},
    )


def waiting_for(request) -> set:
    return set(
        ApprovalTask.objects.filter(request=request, state="waiting").values_list(
            "approver__display_name", flat=True
        )
    )


def test_a_claim_over_5000_also_needs_the_general_manager(people, claim_flow):
    # SPEC: MKT-6 — expense claims over 5,000 元 also need 总经理; the steps run in order
    small = claim(people, 800)
    assert [step["name"] for step in small.plan] == ["部门负责人审批", "财务审核"]
    large = claim(people, 12000)
    assert [step["name"] for step in large.plan] == ["部门负责人审批", "总经理审批", "财务审核"]
    assert waiting_for(large) == {"王经理"}  # the requester's department head, found upward
    approval_decide(request=large, by=people.head, decision="approve")
    assert waiting_for(large) == {"赵总", "钱副总"}  # any one of 管理层
    approval_decide(request=large, by=people.vice, decision="approve", comment="同意")
    assert waiting_for(large) == {"孙会计"}  # 赵总's task was not needed
    assert ApprovalTask.objects.get(request=large, approver=people.ceo).state == "skipped"
    approval_decide(request=large, by=people.cashier, decision="approve")
    large.refresh_from_db()
    assert (large.state, large.outcome) == ("approved", {"paid": "12000.00"})
    assert AuditLog.objects.filter(action="test.claim_paid").count() == 1
    kinds = list(large.events.values_list("kind", flat=True))
    assert (kinds[0], kinds[-1]) == ("submitted", "completed")
    assert Notification.objects.filter(recipient=people.rep, title__contains="报销").exists()


def test_an_all_of_step_waits_for_each_of_them(people, claim_flow, admin_user):
    # SPEC: MKT-6 (会签) — every member of the group approves before the step passes
    step = claim_flow.steps.get(name="总经理审批")
    values = {name: getattr(step, name) for name in ("name", "approver", "role", "deadline_hours")}
    flow_step_save(flow=claim_flow, step=step, by=admin_user, values={**values, "mode": "all"})
    request = claim(people, 9000)
    approval_decide(request=request, by=people.head, decision="approve")
    approval_decide(request=request, by=people.ceo, decision="approve")
    assert waiting_for(request) == {"钱副总"}
    approval_decide(request=request, by=people.vice, decision="approve")
    assert waiting_for(request) == {"孙会计"}


def test_returned_then_resubmitted_with_what_is_asked_taken_again(people, claim_flow):
    # SPEC: MKT-6 — return for changes; the resubmission snapshots anew and starts over
    request = claim(people, 6000)
    approval_decide(request=request, by=people.head, decision="approve")
    with pytest.raises(ValidationFailed) as refused:
        approval_decide(request=request, by=people.ceo, decision="return")
    assert "comment" in refused.value.fields  # returning says why
    approval_decide(request=request, by=people.ceo, decision="return", comment="附上发票")
    request.refresh_from_db()
    assert request.state == "returned"
    assert waiting_for(request) == set()
    with pytest.raises(Forbidden):
        approval_resubmit(request=request, by=people.other, reason="不是我的")
    again = approval_resubmit(
        request=request, by=people.rep, reason="已附发票", values={"amount": 4000}
    )
    assert (again.state, again.round, again.snapshot["amount"]) == ("pending", 2, "4000")
    assert [step["name"] for step in again.plan] == ["部门负责人审批", "财务审核"]
    assert waiting_for(again) == {"王经理"}


def test_a_rejection_ends_it_and_bad_decisions_change_nothing(people, claim_flow):
    # SPEC: MKT-6 — a clear error for the wrong person or a closed request, nothing changed
    request = claim(people, 300)
    with pytest.raises(Forbidden):
        approval_decide(request=request, by=people.rep, decision="approve")  # their own
    with pytest.raises(Forbidden):
        approval_decide(request=request, by=people.cashier, decision="approve")  # not yet
    with pytest.raises(ValidationFailed):
        approval_decide(request=request, by=people.head, decision="maybe")
    assert waiting_for(request) == {"王经理"}
    approval_decide(request=request, by=people.head, decision="reject", comment="不在预算内")
    request.refresh_from_db()
    assert request.state == "rejected"
    assert request.closed_at is not None
    assert CLOSED[-1] == request.pk
    with pytest.raises(Conflict):
        approval_decide(request=request, by=people.cashier, decision="approve")
    with pytest.raises(Conflict):
        approval_withdraw(request=request, by=people.rep)
    assert request.events.filter(kind="rejected").count() == 1


def test_nobody_to_decide_refuses_the_submission(people, claim_flow):
    # SPEC: MKT-6 — a flow that cannot be decided says so; nothing is saved
    type(people.rep.department).objects.update(manager=None)
    with pytest.raises(Conflict, match="部门负责人审批|step"):
        claim(people, 100)
    assert not ApprovalRequest.objects.exists()


def test_withdrawn_by_the_requester(people, claim_flow):
    request = claim(people, 100)
    with pytest.raises(Forbidden):
        approval_withdraw(request=request, by=people.head)
    approval_withdraw(request=request, by=people.rep, comment="不需要了")
    request.refresh_from_db()
    assert request.state == "withdrawn"
    assert waiting_for(request) == set()


def test_a_delegate_decides_while_the_approver_is_away(people, claim_flow):
    # SPEC: MKT-6 (休假代理) — recorded as decided by the delegate for the approver
    today = date(2026, 3, 2)
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        with pytest.raises(ValidationFailed):
            delegation_set(user=people.head, delegate=people.head, starts_on=today, ends_on=today)
        delegation_set(
            user=people.head,
            delegate=people.other,
            starts_on=today,
            ends_on=today + timedelta(days=4),
            reason="年假",
        )
        request = claim(people, 100)
        assert todo_count(people.other) == 1
        approval_decide(request=request, by=people.other, decision="approve", comment="代批")
    task = ApprovalTask.objects.get(request=request, approver=people.head)
    assert (task.state, task.decided_by) == ("approved", people.other)
    assert request.events.get(kind="approved").data["for"] == str(people.head)
    with time_machine.travel(datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI), tick=False):
        second = claim(people, 200)
        with pytest.raises(Forbidden):  # the delegation has ended
            approval_decide(request=second, by=people.other, decision="approve")


def test_an_added_approver_must_approve_too_and_copies_may_read(people, claim_flow):
    # SPEC: MKT-6 (加签, 抄送)
    request = claim(people, 100)
    assert request_for(people.other, request.pk) is None
    with pytest.raises(Forbidden):
        approval_approver_add(request=request, by=people.cashier, user=people.ceo)
    approval_approver_add(request=request, by=people.head, user=people.ceo, comment="请赵总把关")
    approval_decide(request=request, by=people.head, decision="approve")
    assert waiting_for(request) == {"赵总"}  # the step waits for the added approver
    approval_decide(request=request, by=people.ceo, decision="approve")
    assert waiting_for(request) == {"孙会计"}
    approval_copy(request=request, by=people.rep, users=[people.other])
    assert request_for(people.other, request.pk) == request
    assert Notification.objects.filter(recipient=people.other, url=f"/approvals/{request.pk}/")


def test_a_rep_sees_only_what_they_asked_decide_or_are_copied_on(people, claim_flow, make_user):
    # SPEC: SEC-1 — the data scope applies to approval requests too
    request = claim(people, 100)
    stranger = make_user(display_name="吴某")
    assert request_for(stranger, request.pk) is None
    assert request_for(people.head, request.pk) == request  # decides it
    assert request_for(people.ceo, request.pk) == request  # 管理层 sees everything
    assert [task.request_id for task in waiting_tasks(people.head)] == [request.pk]


def test_reminded_then_escalated_across_a_weekend_once(people, claim_flow, org):
    # SPEC: MKT-6 — a 2-working-hour step asked on Friday 17:00 is due Monday 10:00;
    # reminded at three quarters, escalated to the approver's manager when missed
    boss = people.ceo
    type(org.sales).objects.filter(pk=org.company.pk).update(manager=boss)
    type(org.sales).objects.filter(pk=org.sales.pk).update(parent=org.company)
    with time_machine.travel(FRIDAY_5PM, tick=False):
        request = claim(people, 100)
    task = ApprovalTask.objects.get(request=request)
    assert task.due_at == datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)
    assert task.remind_at == datetime(2026, 3, 9, 9, 30, tzinfo=SHANGHAI)
    saturday = datetime(2026, 3, 7, 12, 0, tzinfo=SHANGHAI)
    assert approval_deadlines(saturday) == {"reminded": 0, "escalated": 0}
    monday = datetime(2026, 3, 9, 9, 45, tzinfo=SHANGHAI)
    assert approval_deadlines(monday) == {"reminded": 1, "escalated": 0}
    late = datetime(2026, 3, 9, 10, 1, tzinfo=SHANGHAI)
    assert approval_deadlines(late) == {"reminded": 0, "escalated": 1}
    assert approval_deadlines(late + timedelta(minutes=1)) == {"reminded": 0, "escalated": 0}
    escalated = request.events.get(kind="escalated")
    assert escalated.data["approver"] == str(people.head)
    assert Notification.objects.filter(recipient=people.head, title__contains="报销").count() >= 2


def test_a_deadline_skips_the_national_day_holiday(people, claim_flow):
    # SPEC: MKT-6 — working hours follow the company calendar and China's holidays
    calendar = WorkCalendar.for_company()
    assert not calendar.is_working_day(date(2026, 10, 1))
    asked = datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI)
    with time_machine.travel(asked, tick=False):
        request = claim(people, 100)
    due = ApprovalTask.objects.get(request=request).due_at.astimezone(SHANGHAI)
    assert due.date() > date(2026, 10, 7)  # the whole Golden Week passes first
    assert due == calendar.add_hours(asked, 2)
    holiday = datetime(2026, 10, 5, 12, 0, tzinfo=SHANGHAI)
    assert approval_deadlines(holiday)["escalated"] == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_approvers_pressing_at_once_make_one_decision_and_one_outcome(people, claim_flow):
    # SPEC: MKT-6 — exactly once: 赵总 and 钱副总 approve the same any-of step together
    request = claim(people, 100)
    FlowStep.objects.filter(flow=claim_flow, name="财务审核").delete()
    request.plan = request.plan[:1]
    request.save(update_fields=["plan"])
    ApprovalTask.objects.filter(request=request).delete()
    management = [people.ceo, people.vice]
    for approver in management:
        ApprovalTask.objects.create(
            request=request,
            round=1,
            step_index=0,
            approver=approver,
            due_at=request.created_at + timedelta(hours=2),
            created_at=request.created_at,
        )
    results = all_at_once(
        *(
            lambda approver=approver: approval_decide(
                request=request, by=approver, decision="approve"
            )
            for approver in management
        )
    )
    decided = [result for result in results if isinstance(result, ApprovalRequest)]
    refused = [result for result in results if isinstance(result, Exception)]
    assert len(decided) == 1
    assert len(refused) == 1
    assert isinstance(refused[0], (Forbidden, Conflict))
    request.refresh_from_db()
    assert request.state == "approved"
    assert AuditLog.objects.filter(action="test.claim_paid").count() == 1
    assert ApprovalTask.objects.filter(request=request, state="approved").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_approver_pressing_twice_at_once_decides_once(people, claim_flow):
    # SPEC: MKT-6 — a double click is one decision
    request = claim(people, 100)
    results = all_at_once(
        lambda: approval_decide(request=request, by=people.head, decision="approve"),
        lambda: approval_decide(request=request, by=people.head, decision="approve"),
    )
    assert sum(isinstance(result, ApprovalRequest) for result in results) == 1
    assert request.events.filter(kind="approved").count() == 1
    assert waiting_for(request) == {"孙会计"}
