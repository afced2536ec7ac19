"""insert_new stores exactly what Model.save() would (core.inserts)."""

import pytest

from leadflow.core.audit import audit_record
from leadflow.core.errors import DomainError
from leadflow.core.inserts import insert_new
from leadflow.core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_a_new_row_reads_back_as_it_was_given(admin_user):
    # SPEC: SEC-3 — the audit trail keeps what was recorded, JSON and times included.
    entry = audit_record(
        actor=admin_user,
        action="settings.update",
        object_type="settings",
        changes={"公司": ["旧", "新"], "limit": [1, 2]},
        extra={"nested": {"ok": True}},
    )
    stored = AuditLog.objects.get(pk=entry.pk)
    assert (stored.actor_id, stored.action, stored.at) == (
        admin_user.pk,
        "settings.update",
        entry.at,
    )
    assert stored.changes == {"公司": ["旧", "新"], "limit": [1, 2]}
    assert stored.extra == {"nested": {"ok": True}}


def test_only_new_objects_are_inserted(admin_user):
    entry = audit_record(actor=admin_user, action="user.update", object_type="x")
    with pytest.raises(DomainError):
        insert_new(entry)
    assert AuditLog.objects.count() == 1
