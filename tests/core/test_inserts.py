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


def test_a_queued_task_is_stored_as_django_tasks_db_stores_it():
    # SPEC: LEAD-ASN-1 — the capture's assignment task is queued through insert_new
    # (leadflow.core.tasks); the worker must find the same row the library would write.
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    from leadflow.core.tasks import TaskBackend
    from leadflow.leads.assignment import assign_new_lead

    ours = task_backends["default"]
    assert isinstance(ours, TaskBackend)
    theirs = DatabaseBackend("default", {"QUEUES": ["default"]})
    queued = [backend.enqueue(assign_new_lead, (41,), {}) for backend in (ours, theirs)]
    assert queued[0].id != queued[1].id

    def stored(result):
        row = DBTaskResult.objects.get(pk=result.id)
        return {
            field.name: getattr(row, field.name)
            for field in DBTaskResult._meta.concrete_fields
            if field.name not in ("id", "enqueued_at")
        }

    assert stored(queued[0]) == stored(queued[1])
    assert stored(queued[0])["run_after"].year == 9999  # set by the library's pre_save signal
    assert queued[0].status == queued[1].status == "READY"
    assert queued[0].args == [41]
