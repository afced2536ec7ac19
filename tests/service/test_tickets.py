"""Service tickets (SVC-1, SVC-2): deadlines on the working calendar across a weekend,
National Day and a make-up working day; misses escalated exactly once and never erased;
the clocks paused while the ticket waits on the customer; the flow with a rejected
solution, the root cause required to close, and reopen; scope; the churn warning."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.customers.models import Customer, CustomerEvent
from leadflow.notify.models import Notification
from leadflow.service.clocks import watch_deadlines
from leadflow.service.models import RootCause, Ticket, TicketCategory, TicketClock, TicketStep
from leadflow.service.tickets import (
    solution_answer,
    solution_propose,
    ticket_assign,
    ticket_close,
    ticket_contact,
    ticket_receive,
    ticket_reopen,
    ticket_resume,
    ticket_revisit,
    ticket_wait,
    tickets_visible_to,
)
from tests.leads.conftest import twice_at_once

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
BEFORE_NATIONAL_DAY = datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI)  # a Wednesday
AFTER_NATIONAL_DAY = datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI)  # Thursday, back at work


def complaint(people, customer=None, **changes):
    values = {
        "kind": "complaint",
        "category": TicketCategory.objects.get(name="产品质量").pk,
        "subject": "设备异响",
        "content": "新到的机床运行时有异响",
        "severity": "high",
        **({"customer": customer.pk} if customer else {}),
        **changes,
    }
    return ticket_receive(values=values, by=people.desk, via="phone")


def clock(ticket, kind):
    return TicketClock.objects.filter(ticket=ticket, kind=kind).order_by("-id").first()


def test_deadlines_cross_national_day_a_weekend_and_a_make_up_day(people, customer):
    # SPEC: SVC-2 — working days on the company calendar, 9:00–18:00
    with time_machine.travel(BEFORE_NATIONAL_DAY, tick=False):
        ticket = complaint(people, customer)
    # 1 working day = 9 h: 3 h on 30 Sep, the holiday (1–7 Oct), 6 h on Thursday 8 Oct.
    assert clock(ticket, "contact").due_at == datetime(2026, 10, 8, 15, 0, tzinfo=SHANGHAI)
    with time_machine.travel(AFTER_NATIONAL_DAY, tick=False):
        ticket_contact(ticket=ticket, by=people.desk, text="已致电客户，确认异响情况")
        ticket_assign(
            ticket=ticket, by=people.desk, department=people.after_sales, assignee=people.engineer
        )
    # 3 working days = 27 h: 8 h Thu, 9 h Fri, 9 h Saturday 10 Oct (a make-up working
    # day), Sunday off, 1 h on Monday 12 Oct.
    assert clock(ticket, "solution").due_at == datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)
    assert clock(ticket, "contact").on_time is True


def test_a_miss_is_escalated_once_and_never_erased(people, customer):
    # SPEC: SVC-2 — reminder before, the head told when missed, the miss kept
    with time_machine.travel(BEFORE_NATIONAL_DAY, tick=False):
        ticket = complaint(people, customer)
    due = clock(ticket, "contact").due_at
    assert watch_deadlines(due - timedelta(hours=3)) == {"reminded": 0, "missed": 0}
    assert watch_deadlines(due - timedelta(hours=1)) == {"reminded": 1, "missed": 0}
    assert Notification.objects.filter(recipient=people.desk, level="warning").count() == 1
    assert watch_deadlines(due + timedelta(minutes=1)) == {"reminded": 0, "missed": 1}
    assert watch_deadlines(due + timedelta(minutes=2)) == {"reminded": 0, "missed": 0}
    told = Notification.objects.filter(recipient=people.service_head, level="error")
    assert [n.body for n in told] == [ticket.number]
    assert TicketStep.objects.filter(ticket=ticket, kind="missed").count() == 1
    with time_machine.travel(due + timedelta(hours=2), tick=False):
        ticket_contact(ticket=ticket, by=people.desk, text="迟到的回电")
    late = clock(ticket, "contact")
    assert (late.stage, late.met_at is not None, late.missed_at is not None) == (3, True, True)
    assert late.on_time is False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_sweeping_at_once_escalate_each_miss_once(people):
    # SPEC: SVC-2 — exactly once with two workers. (From the public form, with no
    # customer: a transactional test must write nothing to the audit log.)
    with time_machine.travel(BEFORE_NATIONAL_DAY, tick=False):
        tickets = [
            ticket_receive(
                values={
                    "kind": "complaint",
                    "category": TicketCategory.objects.first().pk,
                    "subject": f"投诉{n}",
                    "content": "产品有问题",
                    "contact_name": "王先生",
                    "contact_phone": f"1380013800{n}",
                },
                by=None,
                via="form",
            )
            for n in range(5)
        ]
    moment = clock(tickets[0], "contact").due_at + timedelta(minutes=5)
    results = twice_at_once(lambda: watch_deadlines(moment))
    assert sum(result["missed"] for result in results) == 5
    assert TicketStep.objects.filter(kind="missed").count() == 5
    assert TicketClock.objects.filter(stage=TicketClock.MISSED).count() == 5


def test_waiting_on_the_customer_pauses_the_clocks(people, customer):
    # SPEC: SVC-2 — the clock pauses while the ticket waits on the customer, and says so
    with time_machine.travel(AFTER_NATIONAL_DAY, tick=False):
        ticket = complaint(people, customer)
    due = clock(ticket, "contact").due_at  # Friday 10:00
    with time_machine.travel(AFTER_NATIONAL_DAY + timedelta(hours=1), tick=False):
        with pytest.raises(ValidationFailed):
            ticket_wait(ticket=ticket, by=people.desk, reason=" ")
        ticket_wait(ticket=ticket, by=people.desk, reason="等待客户提供视频")
    assert watch_deadlines(due + timedelta(hours=5))["missed"] == 0  # paused: no miss
    resumed_at = AFTER_NATIONAL_DAY + timedelta(days=1, hours=2)  # Friday 12:00
    with time_machine.travel(resumed_at, tick=False):
        ticket_resume(ticket=ticket, by=people.desk, text="客户已发来视频")
    ticket.refresh_from_db()
    assert ticket.state == "received"
    paused = clock(ticket, "contact")
    # Paused 11:00 Thursday → 12:00 Friday: 10 working hours, so 10:00 Friday + 10 h.
    assert paused.paused_total == timedelta(hours=10)
    assert paused.due_at == datetime(2026, 10, 10, 11, 0, tzinfo=SHANGHAI)  # the make-up Sat


def test_from_complaint_to_closed_with_a_rejection_and_a_reopen(people, customer):
    # SPEC: SVC-1, SVC-3 — each step kept; rejected back to the department; root cause to close
    with time_machine.travel(AFTER_NATIONAL_DAY, tick=False):
        ticket = complaint(people, customer)
        assert "open_complaint" in Customer.objects.get(pk=customer.pk).risk_reasons
        with pytest.raises(Conflict):  # not yet assigned
            solution_propose(ticket=ticket, by=people.desk, solution="更换轴承")
        ticket_contact(ticket=ticket, by=people.desk, text="已回电")
        with pytest.raises(Forbidden):  # only the desk assigns
            ticket_assign(
                ticket=ticket, by=people.engineer, department=people.after_sales, assignee=None
            )
        ticket_assign(
            ticket=ticket, by=people.desk, department=people.after_sales, assignee=people.engineer
        )
        with pytest.raises(Forbidden):
            solution_propose(ticket=ticket, by=people.outsider, solution="x")
        solution_propose(ticket=ticket, by=people.engineer, solution="上门检查并更换轴承")
        with pytest.raises(ValidationFailed):
            solution_answer(ticket=ticket, by=people.desk, accepted=False, text="")
        solution_answer(ticket=ticket, by=people.desk, accepted=False, text="客户要求换新机")
        ticket.refresh_from_db()
        assert ticket.state == "assigned"
        assert TicketClock.objects.filter(ticket=ticket, kind="solution").count() == 2
        solution_propose(ticket=ticket, by=people.head, solution="更换整机")
        solution_answer(ticket=ticket, by=people.desk, accepted=True, text="客户同意")
        assert clock(ticket, "revisit") is not None
        with pytest.raises(Conflict):  # a complaint closes after its revisit
            ticket_close(ticket=ticket, by=people.desk)
        ticket_revisit(ticket=ticket, by=people.desk, text="客户确认设备运行正常")
        with pytest.raises(ValidationFailed) as refused:
            ticket_close(ticket=ticket, by=people.desk)
        assert set(refused.value.fields) == {"root_cause", "root_cause_text", "corrective_action"}
        ticket_close(
            ticket=ticket,
            by=people.desk,
            root_cause=RootCause.objects.get(name="供应商原因"),
            root_cause_text="轴承批次不良",
            corrective_action="更换轴承供应商，来料抽检",
        )
        assert Customer.objects.get(pk=customer.pk).risk_reasons == []
        ticket_reopen(ticket=ticket, by=people.desk, reason="一周后再次异响")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.reopened, ticket.closed_at) == ("assigned", 1, None)
    assert "open_complaint" in Customer.objects.get(pk=customer.pk).risk_reasons
    assert [step.kind for step in ticket.steps.all()] == [
        "received",
        "contacted",
        "assigned",
        "proposed",
        "rejected",
        "proposed",
        "accepted",
        "revisited",
        "closed",
        "reopened",
    ]
    assert CustomerEvent.objects.filter(customer=customer, kind="ticket").count() == 1
    assert ticket.surveys.count() == 1  # one survey went out at the close


def test_bad_input_is_refused_whole_and_saves_nothing(people):
    # SPEC: SVC-1 — a clear error per field, nothing stored
    with pytest.raises(ValidationFailed) as refused:
        ticket_receive(
            values={
                "kind": "rant",
                "category": 99999,
                "subject": "",
                "content": "",
                "contact_phone": "12345",
            },
            by=people.desk,
            via="phone",
        )
    assert set(refused.value.fields) >= {
        "kind",
        "category",
        "subject",
        "content",
        "contact_phone",
        "contact_name",
    }
    assert refused.value.fields["contact_phone"] == "'12345' 不是中国大陆电话号码"
    assert not Ticket.objects.exists()


def test_an_unknown_caller_is_matched_to_the_customer_by_their_contact(people, customer):
    # SPEC: SVC-1 — an unknown person with a contact, matched to the customer
    ticket = ticket_receive(
        values={
            "kind": "inquiry",
            "category": TicketCategory.objects.first().pk,
            "subject": "询问保修期",
            "content": "保修期多长？",
            "contact_name": "王经理",
            "contact_phone": "138 0013 8000",
        },
        by=None,
        via="form",
    )
    assert ticket.customer == customer
    assert ticket.received_by is None
    assert Notification.objects.filter(recipient=people.desk, title__contains=ticket.number)


def test_each_sees_the_tickets_of_their_department(people, customer, org, make_user):
    # SPEC: SEC-1 — an agent sees their department's tickets, not another's
    ticket = complaint(people, customer)
    ticket_contact(ticket=ticket, by=people.desk, text="已回电")
    ticket_assign(ticket=ticket, by=people.desk, department=people.after_sales, assignee=None)
    assert list(tickets_visible_to(people.engineer)) == [ticket]  # 售后部
    assert list(tickets_visible_to(people.rep)) == [ticket]  # the customer's owner
    assert list(tickets_visible_to(people.outsider)) == []
    manager = make_user("sales_manager", department=org.sales, display_name="王经理")
    assert list(tickets_visible_to(manager)) == [ticket]  # their rep's customer
    assert list(tickets_visible_to(people.desk)) == [ticket]  # customer service sees all
