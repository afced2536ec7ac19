"""Contact cadence by grade (CUS-5): due dates, reminders, the board."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.core.errors import ValidationFailed
from leadflow.customers.cadence import interaction_record, remind_contacts_due
from leadflow.customers.models import Interaction
from leadflow.customers.profiles import customer_create, customer_update
from leadflow.notify.models import Notification

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def entered(rep, name="某某有限公司", **values):
    with time_machine.travel(MONDAY, tick=False):
        return customer_create(values={"name": name, **values}, by=rep)


@pytest.mark.parametrize(
    ("sales", "days"), [("150", 7), ("60", 14), ("20", 30), ("5", 90), ("", 30)]
)
def test_the_next_contact_falls_due_by_the_grade(make_user, sales, days):
    # SPEC: CUS-5 — A weekly, B every two weeks, C monthly, D quarterly (no grade: monthly).
    customer = entered(make_user(), expected_annual_sales=sales)
    assert customer.next_contact_due == MONDAY + timedelta(days=days)


def test_a_contact_sets_the_next_date_and_bad_ones_change_nothing(make_user):
    # SPEC: CUS-5 — a contact recorded moves the cadence on.
    rep = make_user()
    customer = entered(rep, expected_annual_sales="60")
    contact_at = MONDAY + timedelta(days=3)
    with time_machine.travel(contact_at + timedelta(hours=1), tick=False):
        with pytest.raises(ValidationFailed) as refused:
            interaction_record(
                customer=customer,
                by=rep,
                at=contact_at + timedelta(days=1),
                method="fax",
                summary="",
            )
        assert set(refused.value.fields) == {"at", "method", "summary"}
        assert not Interaction.objects.exists()
        interaction_record(
            customer=customer, by=rep, at=contact_at, method="visit", summary="看了样品"
        )
    customer.refresh_from_db()
    assert (customer.last_contact_at, customer.next_contact_due) == (
        contact_at,
        contact_at + timedelta(days=14),
    )
    customer_update(customer=customer, changes={"expected_annual_sales": "200"}, by=rep)
    customer.refresh_from_db()
    assert customer.next_contact_due == contact_at + timedelta(days=7)  # now grade A


def test_the_sweep_reminds_each_owner_once(make_user):
    # SPEC: CUS-5 — overdue contacts are reminded, once.
    rep = make_user()
    customers = [entered(rep, name=f"公司{n}", expected_annual_sales="150") for n in range(3)]
    due = MONDAY + timedelta(days=7)
    assert remind_contacts_due(due - timedelta(minutes=1)) == {"reminded": 0}
    assert remind_contacts_due(due + timedelta(minutes=1)) == {"reminded": 3}
    assert remind_contacts_due(due + timedelta(minutes=2)) == {"reminded": 0}
    [notice] = Notification.objects.filter(recipient=rep, level="warning")
    assert notice.url == "/customers/cadence/"
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        interaction_record(
            customer=customers[0], by=rep, at=due + timedelta(hours=1), method="phone", summary="好"
        )
    assert remind_contacts_due(due + timedelta(days=8))["reminded"] == 1  # its next date


def test_the_board_the_page_and_the_api(make_user, client_for, api_for):
    # SPEC: CUS-5 — overdue contacts listed and reported per owner.
    rep = make_user(display_name="刘洋")
    customer = entered(rep, expected_annual_sales="150")
    later = MONDAY + timedelta(days=8)
    with time_machine.travel(later, tick=False):
        page = client_for(rep).get("/customers/cadence/").content.decode()
        assert customer.name in page
        assert "刘洋" in page
        [row] = api_for(rep).get("/api/v1/cadence?when=overdue").json()
        assert row["id"] == customer.pk
        response = client_for(rep).post(
            f"/customers/{customer.pk}/interactions/",
            {"at": "2026-03-10T09:00", "method": "wechat", "summary": "约了下周拜访"},
        )
        assert response.status_code == 302
        assert api_for(rep).get("/api/v1/cadence?when=overdue").json() == []
        created = api_for(rep).post(
            f"/api/v1/customers/{customer.pk}/interactions",
            {"at": "2026-03-10T10:00:00+08:00", "method": "phone", "summary": "确认拜访"},
            content_type="application/json",
        )
        assert created.status_code == 201
    assert Interaction.objects.filter(customer=customer).count() == 2
    assert api_for(make_user()).get("/api/v1/cadence").json() == []
