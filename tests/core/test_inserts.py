"""insert_new stores exactly what Model.save() would (core.inserts)."""

import pytest
import time_machine

from leadflow.core.audit import audit_record
from leadflow.core.crypto import TOKEN_PREFIX, decrypt
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


def test_values_stored_as_they_are_match_djangos_own_preparation(admin_user):
    # SPEC: LEAD-CAP-2 (speed) — insert_new skips Django's per-field steps only where they
    # would change nothing: every value, and its type, is the one Django would store.
    from datetime import date
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from leadflow.core.inserts import prepared_values
    from leadflow.leads.models import Lead

    now = timezone.now()
    lead = Lead(
        number="G20261123001",
        kind="company",
        name="上海甲科技有限公司",
        mobile="+8613800138000",
        employees=120,
        annual_revenue=5,  # not text: Django makes it "5", and so must insert_new
        budget=None,
        channel_id=3,
        owner_id=None,
        created_by_id=admin_user.pk,
        acquired_at=now,
        values_at=now,
        accept_by=None,
        deal_amount=Decimal("12000.50"),
        deal_date=date(2026, 11, 23),
        pool_warned=True,
        score=35,
        created_at=now,
        updated_at=now,
    )
    entry = AuditLog(actor=admin_user, action="x", at=now, changes={"a": [1, 2]}, extra={})
    task = DBTaskResult(task_path="leadflow.leads.assignment.assign_new_lead", args_kwargs={})

    for obj in (lead, entry, task):
        fields = _inserted(obj)
        with time_machine.travel(now, tick=False):  # the task's auto_now_add time
            djangos = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
            ours = prepared_values(obj, connection)
        assert [(f.name, _plain(v), type(v)) for f, v in zip(fields, ours, strict=True)] == [
            (f.name, _plain(v), type(v)) for f, v in zip(fields, djangos, strict=True)
        ]


def _inserted(obj):
    from django.db.models.fields import AutoFieldMixin

    return [f for f in type(obj)._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]


def _plain(value):
    """psycopg's JSON wrapper compares by identity: compare what it wraps. An encrypted
    value differs at every encryption (a random IV): compare what it holds."""
    if type(value).__name__ == "Jsonb":
        return value.obj
    if isinstance(value, str) and value.startswith(TOKEN_PREFIX):
        return ("encrypted", decrypt(value))
    return value
