"""Key-account teams and sharing (CUS-6), and what they open (SEC-1)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.core.errors import Forbidden, ValidationFailed
from leadflow.customers.models import CustomerEvent, Share
from leadflow.customers.profiles import customer_create
from leadflow.customers.queries import customer_for
from leadflow.customers.teams import customer_share, share_revoke, team_member_add

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def people(org, make_user):
    manager = make_user("sales_manager", department=org.sales, display_name="王经理")
    owner = make_user(department=org.sales, display_name="李明")
    colleague = make_user(display_name="张华")
    engineer = make_user("sales_support", display_name="赵工")
    return manager, owner, colleague, engineer


def test_a_team_member_sees_and_edits_the_key_account(people):
    # SPEC: CUS-6 — owner plus members with roles.
    manager, owner, colleague, engineer = people
    customer = customer_create(values={"name": "某某集团有限公司"}, by=owner)
    assert customer_for(colleague, customer.pk) is None
    assert customer_for(engineer, customer.pk) == customer  # sales support sees all (SEC-1)
    team_member_add(customer=customer, user=colleague, role="商务", by=owner)
    assert customer_for(colleague, customer.pk, to_edit=True) == customer
    with pytest.raises(Forbidden):  # a member does not manage the team
        team_member_add(customer=customer, user=engineer, role="技术", by=colleague)
    team_member_add(customer=customer, user=engineer, role="技术支持", by=manager)
    with pytest.raises(ValidationFailed):
        team_member_add(customer=customer, user=owner, role="负责人", by=manager)
    assert list(customer.team.values_list("role", flat=True)) == ["商务", "技术支持"]


def test_sharing_is_recorded_limited_and_ends(people):
    # SPEC: CUS-6 — who shared, with whom, rights, until when.
    manager, owner, colleague, _ = people
    with time_machine.travel(MONDAY, tick=False):
        customer = customer_create(values={"name": "某某科技有限公司"}, by=owner)
        with pytest.raises(ValidationFailed) as refused:
            customer_share(
                customer=customer, user=colleague, rights="all", reason="", until=None, by=owner
            )
        assert set(refused.value.fields) == {"rights", "reason"}
        share = customer_share(
            customer=customer,
            user=colleague,
            rights="view",
            reason="协助投标",
            until=MONDAY + timedelta(days=7),
            by=owner,
        )
        assert customer_for(colleague, customer.pk) == customer
        assert customer_for(colleague, customer.pk, to_edit=True) is None  # view only
    with time_machine.travel(MONDAY + timedelta(days=8), tick=False):
        assert customer_for(colleague, customer.pk) is None  # the share ran out
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        share_revoke(share=share, by=manager)
        assert customer_for(colleague, customer.pk) is None
    share.refresh_from_db()
    assert (share.shared_by, share.revoked_by) == (owner, manager)  # kept after it ended
    kinds = list(CustomerEvent.objects.filter(customer=customer).values_list("kind", flat=True))
    assert {"shared", "share_revoked"} <= set(kinds)


def test_team_and_shares_through_the_page_and_the_api(people, client_for, api_for):
    # SPEC: CUS-6 — UI and API.
    _, owner, colleague, engineer = people
    customer = customer_create(values={"name": "某某电子有限公司"}, by=owner)
    client = client_for(owner)
    client.post(f"/customers/{customer.pk}/team/", {"user": engineer.pk, "role": "技术支持"})
    client.post(
        f"/customers/{customer.pk}/shares/",
        {"user": colleague.pk, "rights": "edit", "reason": "共同跟进", "until": "2099-01-01"},
    )
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "技术支持" in page
    assert "共同跟进" in page
    assert Share.objects.get().rights == "edit"

    changed = api_for(colleague).patch(
        f"/api/v1/customers/{customer.pk}", {"needs": "扩产"}, content_type="application/json"
    )
    assert changed.status_code == 200
    team = api_for(colleague).get(f"/api/v1/customers/{customer.pk}/team").json()
    assert [member["role"] for member in team] == ["技术支持"]
    refused = api_for(colleague).post(
        f"/api/v1/customers/{customer.pk}/team",
        {"user_id": engineer.pk, "role": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 403
