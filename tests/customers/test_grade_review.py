"""Periodic grade review (CUS-3): proposals from actual purchases, confirmed by the owner."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.core.errors import Conflict
from leadflow.customers.models import CustomerEvent, GradeProposal
from leadflow.customers.profiles import customer_create
from leadflow.customers.reviews import grade_proposal_decide, proposals_for
from leadflow.notify.models import Notification
from leadflow.sales.deals import deal_record
from leadflow.sales.reviews import review_grades

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)


def customer_with_deals(rep, amounts, **values):
    with time_machine.travel(NOW - timedelta(days=200), tick=False):
        customer = customer_create(values={"name": "某某有限公司", **values}, by=rep)
    for n, amount in enumerate(amounts):
        won = NOW - timedelta(days=100 - n)
        deal_record(
            customer=customer,
            owner=rep,
            title="设备",
            amount=Decimal(amount),
            signed_on=won.date(),
            opened_at=won - timedelta(days=30),
            won_at=won,
            source="test",
            by=rep,
        )
    return customer


def test_purchases_that_move_the_grade_are_proposed_and_confirmed(make_user):
    # SPEC: CUS-3 — re-evaluated periodically; the owner confirms; history kept.
    rep = make_user()
    customer = customer_with_deals(rep, ["600000", "700000"], expected_annual_sales="20")
    assert customer.grade == "C"
    assert review_grades(NOW) == {"reviewed": 1, "proposed": 1}
    assert review_grades(NOW + timedelta(minutes=1)) == {"reviewed": 0, "proposed": 0}
    [proposal] = proposals_for(rep)
    assert (proposal.current_grade, proposal.proposed_grade) == ("C", "A")
    assert proposal.evidence == {"months": 12, "sales_wan": "130.00", "orders": 2}
    assert Notification.objects.filter(recipient=rep, url="/customers/grades/").count() == 1

    grade_proposal_decide(proposal=proposal, accept=True, by=rep, note="确认")
    customer.refresh_from_db()
    assert (customer.grade, customer.expected_annual_sales) == ("A", Decimal("130.00"))
    kinds = list(CustomerEvent.objects.filter(customer=customer).values_list("kind", flat=True))
    assert {"changed", "graded"} <= set(kinds)
    with pytest.raises(Conflict):
        grade_proposal_decide(proposal=proposal, accept=False, by=rep)


def test_no_proposal_when_the_grade_would_stay_or_nothing_was_bought(make_user):
    # SPEC: CUS-3 — proposals only for real changes.
    rep = make_user()
    customer_with_deals(rep, ["1200000"], expected_annual_sales="150")  # A stays A
    with time_machine.travel(NOW - timedelta(days=200), tick=False):
        customer_create(values={"name": "没买过的公司", "expected_annual_sales": "5"}, by=rep)
    assert review_grades(NOW) == {"reviewed": 2, "proposed": 0}
    # Reviewed again a month later, not before.
    assert review_grades(NOW + timedelta(days=29))["reviewed"] == 0
    assert review_grades(NOW + timedelta(days=31))["reviewed"] == 2


def test_a_rejected_proposal_keeps_the_grade_and_the_page_works(make_user, client_for, api_for):
    # SPEC: CUS-3 — the grade review screen and API.
    rep = make_user()
    customer = customer_with_deals(rep, ["10000"], expected_annual_sales="120")
    review_grades(NOW)
    page = client_for(rep).get("/customers/grades/").content.decode()
    assert customer.name in page
    assert "A → D" in page
    [item] = api_for(rep).get("/api/v1/grade-proposals").json()
    assert (
        api_for(make_user())
        .post(
            f"/api/v1/grade-proposals/{item['id']}/decide",
            {"accept": True},
            content_type="application/json",
        )
        .status_code
        == 404
    )
    response = client_for(rep).post(
        "/customers/grades/", {"proposal": item["id"], "decision": "reject", "note": "大单在谈"}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.grade == "A"
    assert GradeProposal.objects.get().state == "rejected"
