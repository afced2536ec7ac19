"""Early warning of churn (CUS-7): missed cadence, falling orders."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.customers.cadence import interaction_record
from leadflow.customers.models import CustomerEvent
from leadflow.customers.profiles import customer_create
from leadflow.notify.models import Notification
from leadflow.sales.deals import deal_record
from leadflow.sales.reviews import watch_churn

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 1, 6, 10, 0, tzinfo=SHANGHAI)


def sold(customer, rep, amount, days_before, now):
    won = now - timedelta(days=days_before)
    deal_record(
        customer=customer,
        owner=rep,
        title="耗材",
        amount=Decimal(amount),
        signed_on=won.date(),
        opened_at=won,
        won_at=won,
        source="test",
        by=rep,
    )


def test_a_missed_cadence_warns_the_owner_and_a_contact_clears_it(make_user, client_for, api_for):
    # SPEC: CUS-7 — churn risk when the cadence is missed by more than one period.
    rep = make_user()
    with time_machine.travel(START, tick=False):
        customer = customer_create(
            values={"name": "某某有限公司", "expected_annual_sales": 150}, by=rep
        )
    # Grade A: due after 7 days; at risk once 7 more have passed.
    assert watch_churn(START + timedelta(days=13)) == {"checked": 1, "warned": 0}
    assert watch_churn(START + timedelta(days=15)) == {"checked": 1, "warned": 1}
    customer.refresh_from_db()
    assert customer.risk_reasons == ["cadence_missed"]
    notice = Notification.objects.get(
        recipient=rep, level="warning", url=f"/customers/{customer.pk}/"
    )
    assert customer.name in notice.title
    assert watch_churn(START + timedelta(days=15, hours=1))["checked"] == 0  # once a day

    with time_machine.travel(START + timedelta(days=15, hours=2), tick=False):
        assert "流失预警" in client_for(rep).get(f"/customers/{customer.pk}/").content.decode()
        assert customer.name in client_for(rep).get("/customers/?risk=1").content.decode()
        [item] = api_for(rep).get("/api/v1/customers?at_risk=true").json()["items"]
        assert item["risk_reasons"] == ["cadence_missed"]
        interaction_record(
            customer=customer, by=rep, at=START + timedelta(days=15), method="visit", summary="续约"
        )
    watch_churn(START + timedelta(days=16, hours=3))
    customer.refresh_from_db()
    assert (customer.risk_reasons, customer.risk_since) == ([], None)
    kinds = list(CustomerEvent.objects.filter(customer=customer).values_list("kind", flat=True))
    assert {"risk", "risk_cleared"} <= set(kinds)


@pytest.mark.parametrize(("recent", "warned"), [("50000", True), ("90000", False)])
def test_orders_falling_year_on_year_warn(make_user, recent, warned):
    # SPEC: CUS-7 — orders fall year on year (default: by 20% or more).
    rep = make_user()
    now = START + timedelta(days=800)
    with time_machine.travel(now - timedelta(days=1), tick=False):
        customer = customer_create(values={"name": "某某有限公司"}, by=rep)
    sold(customer, rep, "100000", 500, now)
    sold(customer, rep, recent, 100, now)
    watch_churn(now)
    customer.refresh_from_db()
    assert ("orders_falling" in customer.risk_reasons) is warned
