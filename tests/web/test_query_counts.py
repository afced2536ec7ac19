"""List pages cost the same number of queries for 3 rows as for 30 (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadflow.core.audit import audit_record
from leadflow.notify.delivery import Message, notify

pytestmark = pytest.mark.django_db


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users/",
        "/admin/audit/",
        "/admin/org/",
        "/admin/roles/",
        "/notifications/",
        "/admin/deliveries/",
    ],
)
def test_list_pages_do_not_grow_with_rows(admin_user, org, make_user, client_for, path):
    client = client_for(admin_user)

    def add_rows(count):
        for _ in range(count):
            user = make_user(team=org.east)
            audit_record(actor=user, action="test.row", obj=user)
            notify(admin_user, Message(title="row"))

    add_rows(3)
    few = queries_for(client, path)
    add_rows(27)
    assert queries_for(client, path) == few
