"""Data upkeep (CUS-4): the monthly review list, important changes recorded in time."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.core.errors import ValidationFailed
from leadflow.customers.models import CustomerEvent
from leadflow.customers.profiles import customer_create, customer_update, due_for_review

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
FRIDAY = datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)


def test_an_important_change_recorded_too_late_is_marked(make_user):
    # SPEC: CUS-4 — important changes recorded within 3 working days (a setting).
    rep = make_user()
    customer = customer_create(values={"name": "某某有限公司"}, by=rep)
    with time_machine.travel(FRIDAY, tick=False):
        # Monday → Friday is 4 working days later: late. Wednesday → Friday is 2: in time.
        customer_update(
            customer=customer,
            changes={"legal_representative": "新总"},
            by=rep,
            changed_on=date(2026, 3, 2),
        )
        customer_update(
            customer=customer,
            changes={"business_scope": "新增进出口"},
            by=rep,
            changed_on=date(2026, 3, 4),
        )
        customer_update(
            customer=customer, changes={"needs": "扩产"}, by=rep, changed_on=date(2026, 2, 1)
        )
        with pytest.raises(ValidationFailed):
            customer_update(
                customer=customer, changes={"needs": "x"}, by=rep, changed_on=date(2026, 3, 9)
            )
    changes = CustomerEvent.objects.filter(customer=customer, kind="changed").order_by("id")
    assert [event.data["late"] for event in changes] == [True, False, False]  # needs: not important


def test_the_monthly_review_lists_what_is_due(make_user, client_for):
    # SPEC: CUS-4 — a full review at least monthly, per owner.
    rep = make_user()
    with time_machine.travel(FRIDAY - timedelta(days=40), tick=False):
        old = customer_create(values={"name": "老客户有限公司"}, by=rep)
    with time_machine.travel(FRIDAY - timedelta(days=5), tick=False):
        customer_create(values={"name": "新客户有限公司"}, by=rep)
    with time_machine.travel(FRIDAY, tick=False):
        assert list(due_for_review(rep, FRIDAY)) == [old]
        page = client_for(rep).get("/customers/review/").content.decode()
        assert "老客户有限公司" in page
        assert "新客户有限公司" not in page
        client_for(rep).post("/customers/review/", {"customer": old.pk, "note": "已核对"})
        assert list(due_for_review(rep, FRIDAY)) == []
    later = FRIDAY + timedelta(days=31)
    assert [c.name for c in due_for_review(rep, later)] == ["新客户有限公司", "老客户有限公司"]
    assert CustomerEvent.objects.filter(customer=old, kind="data_reviewed").count() == 1
    assert list(due_for_review(make_user(), FRIDAY)) == []


def test_the_list_filters_by_owner(make_user, client_for, api_for):
    # The customer list: filter by owner.
    manager = make_user("admin", is_superuser=True)
    first, second = make_user(display_name="甲"), make_user(display_name="乙")
    customer_create(values={"name": "甲的客户有限公司"}, by=first)
    customer_create(values={"name": "乙的客户有限公司"}, by=second)
    page = client_for(manager).get(f"/customers/?owner={first.pk}").content.decode()
    assert "甲的客户有限公司" in page
    assert "乙的客户有限公司" not in page
    items = api_for(manager).get(f"/api/v1/customers?owner_id={second.pk}").json()["items"]
    assert [item["name"] for item in items] == ["乙的客户有限公司"]
