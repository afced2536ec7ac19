"""The lists people work from every day cost a fixed number of queries (STYLE 3): the
same for 3 rows as for 30, and that number is pinned, so a change that adds a query per
page (or per row) is seen in review."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadflow.customers.profiles import customer_create
from leadflow.leads.models import Lead, LeadStatus
from tests.leads.conftest import accepted_lead

pytestmark = pytest.mark.django_db

# path → queries for the page, whatever the number of rows (the frame's share: the user,
# the session, the bell's unread count, the approvals badge).
PINNED = {
    "/leads/": 12,
    "/leads/pool/": 11,
    "/leads/followups/?when=week": 9,
    "/customers/": 9,
    "/": 22,  # the workbench: a leader sees their to-dos, pipeline and team
}


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.fixture
def rows(capture, rep):
    made = 0

    def add(count):
        nonlocal made
        for _ in range(count):
            made += 1
            mobile, email = f"1390013{made:04d}", f"c{made}@example.cn"
            accepted_lead(capture, rep, name=f"客户{made}有限公司", mobile=mobile, email=email)
            pooled = capture(name=f"公海{made}有限公司", mobile=f"1370013{made:04d}", email="")
            Lead.objects.filter(pk=pooled.lead.pk).update(status=LeadStatus.POOL)
            customer_create(values={"name": f"老客户{made}有限公司"}, by=rep)

    return add


@pytest.mark.parametrize("path", PINNED)
def test_a_list_costs_its_pinned_number_of_queries_whatever_its_rows(path, rows, rep, client_for):
    # SPEC: ANA-1 (lists answer fast at a million leads): no query per row
    client = client_for(rep.team.leader)
    rows(3)
    few = queries_for(client, path)
    rows(27)
    assert queries_for(client, path) == few == PINNED[path]
