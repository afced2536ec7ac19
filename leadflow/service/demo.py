"""The demo company's service desk (SVC-1…4): a complaint closed with its root cause and a
survey answer, a complaint whose first contact was missed (taken in three working days
ago, so the list shows it overdue at once), and an inquiry from the public form waiting
to be answered. Made through the same services a person uses; only the overdue one's
times are moved back, as if it had come in earlier."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from leadflow.accounts.models import Department, User
from leadflow.core.worktime import WorkCalendar
from leadflow.customers.models import Customer

from .clocks import watch_deadlines
from .models import RootCause, Ticket, TicketCategory, TicketClock
from .surveys import survey_answer, survey_token
from .tickets import (
    solution_answer,
    solution_propose,
    ticket_assign,
    ticket_close,
    ticket_contact,
    ticket_receive,
    ticket_revisit,
)


def demo_service_create() -> None:
    desk = User.objects.filter(username="zhou.kf").first()
    engineer = User.objects.filter(username="li.ming").first()
    sales = Department.objects.filter(name="销售部").first()
    customer = Customer.objects.filter(name="无锡演示精密机械有限公司").first()
    if desk is None or engineer is None or sales is None or customer is None:
        return
    if Ticket.objects.exists():
        return
    category = {c.name: c.pk for c in TicketCategory.objects.all()}
    with transaction.atomic():
        closed = ticket_receive(
            values={
                "kind": "complaint",
                "category": category["产品质量"],
                "subject": "加工中心主轴异响",
                "content": "新到的立式加工中心运行半小时后主轴有异响",
                "severity": "high",
                "customer": customer.pk,
            },
            by=desk,
            via="phone",
        )
        ticket_contact(ticket=closed, by=desk, text="已回电，约好明早上门检查")
        ticket_assign(ticket=closed, by=desk, department=sales, assignee=engineer)
        solution_propose(ticket=closed, by=engineer, solution="上门更换主轴轴承并免费保养一次")
        solution_answer(ticket=closed, by=desk, accepted=True, text="客户同意")
        ticket_revisit(ticket=closed, by=desk, text="客户确认运行正常")
        ticket_close(
            ticket=closed,
            by=desk,
            root_cause=RootCause.objects.get(name="供应商原因"),
            root_cause_text="主轴轴承批次不良",
            corrective_action="更换轴承供应商，来料加严抽检",
        )
        survey_answer(token=survey_token(closed.surveys.get()), score=4, comment="处理及时")
        late = ticket_receive(
            values={
                "kind": "complaint",
                "category": category["交付物流"],
                "subject": "配件迟迟未到",
                "content": "两周前订的刀柄至今未到货",
                "customer": customer.pk,
            },
            by=desk,
            via="email",
        )
        ticket_receive(
            values={
                "kind": "inquiry",
                "category": category["其他"],
                "subject": "询问操作培训安排",
                "content": "想了解新设备的操作培训什么时候安排",
                "contact_name": "刘工",
                "contact_phone": "13900139000",
            },
            by=None,
            via="form",
        )
    _moved_back(late, timedelta(days=5))
    watch_deadlines(timezone.now())


def _moved_back(ticket: Ticket, age: timedelta) -> None:
    """As if the ticket had come in `age` ago: its receipt, steps and deadline."""
    calendar = WorkCalendar.for_company()
    received = timezone.now() - age
    Ticket.objects.filter(pk=ticket.pk).update(received_at=received, updated_at=received)
    ticket.steps.update(at=received)
    due = calendar.add(received, calendar.hours_per_day)
    TicketClock.objects.filter(ticket=ticket).update(
        started_at=received, remind_at=due - timedelta(hours=2), due_at=due
    )
