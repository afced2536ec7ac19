"""Personal data masked in one place for every reader outside its scope: the API, the UI
and the lead history alike (SEC-2, SEC-1), and the seeded roles that see customers
masked (SEC-1)."""

import pytest

from leadflow.accounts.models import Role
from leadflow.accounts.org import role_update
from leadflow.core.models import AuditLog
from leadflow.customers.models import Customer
from leadflow.customers.profiles import customer_update
from leadflow.customers.teams import customer_share
from tests.leads.test_conversion import accepted_lead, win

pytestmark = pytest.mark.django_db
ADDRESS = "上海市浦东新区张江路88号"


@pytest.fixture
def won(capture, rep, make_user):
    """A customer won from 李明's lead, with an address changed once, and 张华, whom the
    customer is shared with for viewing only."""
    lead = win(accepted_lead(capture, rep, address="上海市徐汇区老地址1号"), rep)
    customer = Customer.objects.get()
    customer_update(customer=customer, changes={"address": ADDRESS}, by=rep)
    viewer = make_user(display_name="张华")
    customer_share(customer=customer, user=viewer, rights="view", reason="协助", until=None, by=rep)
    return lead, customer, viewer


def test_a_view_only_share_sees_address_history_and_lead_history_masked(
    won, rep, api_for, client_for
):
    # SPEC: SEC-2 — the address, its old values and the lead history came back whole
    lead, customer, viewer = won
    body = api_for(viewer).get(f"/api/v1/customers/{customer.pk}").json()
    assert body["address"] == "上海市浦东****"
    changed = next(event for event in body["events"] if event["kind"] == "changed")
    assert changed["data"]["fields"]["address"] == ["上海市徐汇****", "上海市浦东****"]
    [history] = api_for(viewer).get(f"/api/v1/customers/{customer.pk}/lead-history").json()
    assert (history["lead"]["mobile"], history["lead"]["email"]) == (
        "+86138****8000",
        "w***@example.cn",
    )
    assert history["lead"]["address"].endswith("****")
    page = client_for(viewer).get(f"/customers/{customer.pk}/").content.decode()
    assert ADDRESS not in page
    assert "老地址" not in page
    # The owner sees it all whole.
    own = api_for(rep).get(f"/api/v1/customers/{customer.pk}").json()
    assert own["address"] == ADDRESS
    assert ADDRESS in client_for(rep).get(f"/customers/{customer.pk}/").content.decode()


@pytest.mark.parametrize("role", ["marketing", "customer_service", "sales_support"])
def test_roles_that_serve_customers_see_them_masked(won, make_user, api_for, role):
    # SPEC: SEC-1, SEC-2 — they saw every customer with full phone numbers
    _, customer, _ = won
    body = api_for(make_user(role)).get(f"/api/v1/customers/{customer.pk}").json()
    assert body["contacts"][0]["mobile"] == "+86138****8000"
    assert body["address"] == "上海市浦东****"


def test_marketing_still_sees_every_lead_whole(capture, rep, make_user, api_for):
    # SPEC: SEC-1 — marketing screens and distributes leads
    lead = accepted_lead(capture, rep)
    body = api_for(make_user("marketing")).get(f"/api/v1/leads/{lead.pk}").json()
    assert body["mobile"] == "+8613800138000"


def test_customer_service_sees_no_lead(capture, rep, make_user, api_for):
    # SPEC: SEC-1
    lead = accepted_lead(capture, rep)
    assert api_for(make_user("customer_service")).get(f"/api/v1/leads/{lead.pk}").status_code == 404


def test_an_admin_unmasking_a_role_is_audited(won, admin_user, make_user, api_for):
    # SPEC: SEC-1, SEC-3
    _, customer, _ = won
    service = Role.objects.get(code="customer_service")
    role_update(
        by=admin_user,
        role=service,
        name=service.name,
        scope=service.scope,
        permissions=service.permissions,
        customers_masked=False,
    )
    entry = AuditLog.objects.get(action="role.update", actor=admin_user)
    assert entry.changes["customers_masked"] == [True, False]
    body = api_for(make_user("customer_service")).get(f"/api/v1/customers/{customer.pk}").json()
    assert body["contacts"][0]["mobile"] == "+8613800138000"
