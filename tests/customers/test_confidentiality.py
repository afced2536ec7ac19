"""Confidentiality of customers (SEC-3, SEC-4): masking, logged reveal, access requests."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.models import AuditLog
from leadflow.customers.access import (
    access_request_create,
    access_request_decide,
    granted_share,
    requests_to_decide,
)
from leadflow.customers.confidentiality import contact_reveal
from leadflow.customers.profiles import customer_create
from leadflow.customers.queries import customer_for
from leadflow.customers.teams import customer_share
from leadflow.notify.models import Notification

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def people(org, make_user):
    manager = make_user("sales_manager", department=org.sales, display_name="王经理")
    owner = make_user(department=org.sales, display_name="李明")
    other = make_user(display_name="张华")
    return manager, owner, other


def customer_of(owner):
    return customer_create(
        values={"name": "某某精工有限公司", "credit_code": ""},
        contacts=[{"name": "周经理", "mobile": "13800138000", "email": "zhou@example.cn"}],
        by=owner,
    )


def test_a_shared_customer_shows_contacts_masked_and_a_reveal_is_logged(
    people, make_user, api_for, client_for
):
    # SEC-3: outside the scope, masked; the full number is a separate, logged permission.
    manager, owner, other = people
    customer = customer_of(owner)
    customer_share(
        customer=customer, user=other, rights="view", reason="协助", until=None, by=owner
    )
    [contact] = api_for(other).get(f"/api/v1/customers/{customer.pk}").json()["contacts"]
    assert (contact["mobile"], contact["email"], contact["masked"]) == (
        "+86138****8000",
        "z***@example.cn",
        True,
    )
    assert (
        api_for(owner).get(f"/api/v1/customers/{customer.pk}").json()["contacts"][0]["mobile"]
        == "+8613800138000"
    )
    page = client_for(other).get(f"/customers/{customer.pk}/").content.decode()
    assert "+86138****8000" in page
    assert "+8613800138000" not in page

    reveal = f"/api/v1/customers/{customer.pk}/contacts/{contact['id']}/reveal"
    assert api_for(other).post(reveal).status_code == 403
    with pytest.raises(Forbidden):
        contact_reveal(contact=customer.contacts.get(), by=other)
    assert not AuditLog.objects.filter(action="customer.contact_reveal").exists()

    auditor = make_user("sales_manager")  # has customers.reveal; their scope does not cover 李明
    customer_share(
        customer=customer, user=auditor, rights="view", reason="审计", until=None, by=owner
    )
    assert api_for(auditor).post(reveal).json()["mobile"] == "+8613800138000"
    row = client_for(auditor).post(f"/customers/{customer.pk}/contacts/{contact['id']}/reveal/")
    assert "+8613800138000" in row.content.decode()
    assert AuditLog.objects.filter(action="customer.contact_reveal", actor=auditor).count() == 2


def test_access_to_another_reps_customer_is_asked_approved_and_expires(people, client_for):
    # SEC-4: a request the manager approves, which expires.
    manager, owner, other = people
    customer = customer_of(owner)
    with time_machine.travel(MONDAY, tick=False):
        with pytest.raises(ValidationFailed):
            access_request_create(name_or_code="不存在的公司", reason="x", by=other)
        request = access_request_create(
            name_or_code="某某精工有限公司", reason="客户来电找我", by=other
        )
        with pytest.raises(Conflict):
            access_request_create(name_or_code="某某精工有限公司", reason="再问", by=other)
        assert Notification.objects.filter(
            recipient=manager, url=f"/approvals/{request.pk}/"
        ).exists()
        assert list(requests_to_decide(owner)) == []  # a rep does not approve
        [pending] = requests_to_decide(manager)
        access_request_decide(request=pending, approve=True, by=manager)
        assert customer_for(other, customer.pk) == customer
        assert customer_for(other, customer.pk, to_edit=True) is None
    with time_machine.travel(MONDAY + timedelta(days=8), tick=False):
        assert customer_for(other, customer.pk) is None  # 7 days by default
    request.refresh_from_db()
    assert (request.state, granted_share(request).until) == ("approved", MONDAY + timedelta(days=7))
    assert AuditLog.objects.filter(action="customer.access_approved").count() == 1


def test_the_access_page(people, client_for):
    # SEC-4: the page to ask and to decide.
    manager, owner, other = people
    customer = customer_of(owner)
    client_for(other).post(
        "/customers/access/", {"name_or_code": "某某精工有限公司", "reason": "老客户转介绍"}
    )
    page = client_for(manager).get("/customers/access/").content.decode()
    assert "老客户转介绍" in page
    [pending] = requests_to_decide(manager)
    assert f"/approvals/{pending.pk}/" in page  # decided on its approval page
    refused = client_for(manager).post(
        f"/approvals/{pending.pk}/decide/", {"decision": "reject"}, follow=True
    )
    assert "说明原因" in refused.content.decode()  # a rejection says why
    client_for(manager).post(
        f"/approvals/{pending.pk}/decide/", {"decision": "reject", "comment": "请找李明协作"}
    )
    pending.refresh_from_db()
    assert pending.state == "rejected"
    assert customer_for(other, customer.pk) is None
