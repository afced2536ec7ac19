"""Service reports (SVC-3, ANA-4) worked out by hand on a built October."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.service.clocks import watch_deadlines
from leadflow.service.models import RootCause, Survey, TicketCategory
from leadflow.service.reports import Span, complaint_breakdown, customer_side, service_rows
from leadflow.service.surveys import survey_answer, survey_token
from leadflow.service.tickets import (
    solution_answer,
    solution_propose,
    ticket_assign,
    ticket_close,
    ticket_contact,
    ticket_receive,
    ticket_reopen,
    ticket_revisit,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 10, 12, 9, 30, tzinfo=SHANGHAI)
OCTOBER = Span(date(2026, 10, 1), date(2026, 10, 31))


def at(moment):
    return time_machine.travel(moment, tick=False)


def receive(people, customer, kind, subject):
    return ticket_receive(
        values={
            "kind": kind,
            "category": TicketCategory.objects.get(name="产品质量").pk,
            "subject": subject,
            "content": subject,
            "customer": customer.pk,
        },
        by=people.desk,
        via="phone",
    )


def test_the_october_figures_by_hand(people, customer):
    # SPEC: SVC-3, ANA-4 — timeliness, resolution, reopen, satisfaction, per category/cause
    desk = people.desk
    with at(MONDAY):
        late_solution = receive(people, customer, "complaint", "异响")
        late_contact = receive(people, customer, "complaint", "漏油")
        inquiry = receive(people, customer, "inquiry", "保修期")
    with at(MONDAY + timedelta(minutes=30)):
        ticket_contact(ticket=late_solution, by=desk, text="已回电")
        ticket_contact(ticket=inquiry, by=desk, text="已答复")
    with at(MONDAY + timedelta(hours=1)):
        ticket_assign(
            ticket=late_solution, by=desk, department=people.after_sales, assignee=people.engineer
        )
        ticket_close(ticket=inquiry, by=desk)
        ticket_reopen(ticket=inquiry, by=desk, reason="还有疑问")
        ticket_contact(ticket=inquiry, by=desk, text="再次答复")
        ticket_close(ticket=inquiry, by=desk)
    watch_deadlines(datetime(2026, 10, 13, 10, 0, tzinfo=SHANGHAI))  # 漏油's contact missed
    with at(datetime(2026, 10, 13, 11, 0, tzinfo=SHANGHAI)):
        ticket_contact(ticket=late_contact, by=desk, text="迟到的回电")
    watch_deadlines(datetime(2026, 10, 15, 11, 0, tzinfo=SHANGHAI))  # 异响's solution missed
    with at(datetime(2026, 10, 15, 12, 0, tzinfo=SHANGHAI)):
        solution_propose(ticket=late_solution, by=people.engineer, solution="更换轴承")
        solution_answer(ticket=late_solution, by=desk, accepted=True)
        ticket_revisit(ticket=late_solution, by=desk, text="运行正常")
        ticket_close(
            ticket=late_solution,
            by=desk,
            root_cause=RootCause.objects.get(name="产品缺陷"),
            root_cause_text="轴承不良",
            corrective_action="来料抽检",
        )
        survey_answer(token=survey_token(Survey.objects.get(ticket=late_solution)), score=4)
        survey_answer(
            token=survey_token(Survey.objects.filter(ticket=inquiry).latest("id")), score=5
        )
    [row] = service_rows(people.desk, OCTOBER, by="agent")
    assert row == {
        "key": "周晓",
        "received": 3,
        "complaints": 2,
        # first deadlines ended: 异响 on time, 漏油 missed, 保修期 twice on time → 3 of 4
        "response_rate": Decimal("75.0"),
        "solution_rate": Decimal("0.0"),  # 异响's one solution deadline was missed
        "resolution_rate": Decimal("66.7"),  # 异响 and 保修期 closed of 3
        "reopen_rate": Decimal("50.0"),  # 保修期, of the 2 closed
        "satisfaction": Decimal("4.50"),
        "answers": 2,
    }
    departments = service_rows(people.desk, OCTOBER, by="department")
    assert [(r["key"], r["received"]) for r in departments] == [("—", 2), ("售后部", 1)]
    breakdown = complaint_breakdown(people.desk, OCTOBER)
    assert breakdown["categories"] == [{"name": "产品质量", "count": 2}]
    assert breakdown["root_causes"] == [{"name": "产品缺陷", "count": 1}]
    assert breakdown["per_100_customers"] == Decimal("200.00")  # 2 complaints, 1 customer
    assert [d["count"] for d in breakdown["distribution"]] == [0, 0, 0, 1, 1]
    assert customer_side(people.desk, OCTOBER)["at_risk"] == 1  # 漏油 is still open
    assert service_rows(people.outsider, OCTOBER) == []  # scope: none of theirs
