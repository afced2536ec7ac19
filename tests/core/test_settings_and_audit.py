"""Company settings as data, and the append-only audit log (SEC-3, SEC-5)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, transaction

from leadflow.core.audit import audit_record
from leadflow.core.company_settings import get_setting, get_settings, settings_update
from leadflow.core.errors import ValidationFailed
from leadflow.core.models import AuditLog, Setting

pytestmark = pytest.mark.django_db


def test_defaults_apply_until_changed_and_changes_are_audited(admin_user):
    assert get_setting("security.lockout_attempts") == 5
    changed = settings_update(changes={"security.lockout_attempts": "3"}, by=admin_user)
    assert changed == {"security.lockout_attempts": [5, 3]}
    assert get_setting("security.lockout_attempts") == 3
    entry = AuditLog.objects.get(action="settings.update")
    assert entry.actor == admin_user
    assert entry.changes == {"security.lockout_attempts": [5, 3]}


def test_one_bad_value_changes_nothing(admin_user):
    # SPEC: SEC-5 — bad input gets a clear error and changes nothing.
    with pytest.raises(ValidationFailed) as refused:
        settings_update(
            changes={"security.lockout_attempts": "7", "worktime.day_start": "25:00"}, by=admin_user
        )
    assert refused.value.fields == {"worktime.day_start": "not a time of day HH:MM: '25:00'"}
    assert not Setting.objects.exists()
    assert not AuditLog.objects.filter(action="settings.update").exists()


def test_cross_setting_check_refuses_a_day_that_ends_before_it_starts(admin_user):
    with pytest.raises(ValidationFailed) as refused:
        settings_update(changes={"worktime.day_end": "08:00"}, by=admin_user)
    assert "worktime.day_end" in refused.value.fields


def test_unknown_setting_is_named(admin_user):
    with pytest.raises(ValidationFailed) as refused:
        settings_update(changes={"no.such": 1}, by=admin_user)
    assert refused.value.fields == {"no.such": "unknown setting"}


def test_audit_log_refuses_update_and_delete_at_the_database(admin_user):
    # SPEC: SEC-3 — logs are append-only.
    entry = audit_record(actor=admin_user, action="test.action", object_repr="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLog.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLog.objects.filter(pk=entry.pk).delete()
    assert AuditLog.objects.get(pk=entry.pk).action == "test.action"


def test_audit_entry_keeps_the_client_address(admin_user, client_for):
    client = client_for(admin_user)
    form = {**get_settings(), "security.lockout_attempts": "4"}
    response = client.post("/admin/settings/", form, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    entry = AuditLog.objects.filter(action="settings.update").get()
    assert entry.ip == "203.0.113.9"


def test_every_setting_is_declared_once_the_apps_are_ready():
    # SPEC: LEAD-FUP-4, CUS-3 — every configurable value is on the settings page, whichever
    # modules a process happened to import first (a fresh interpreter asks).
    source = Path(__file__).resolve().parents[2] / "leadflow"
    defined = {
        key
        for path in source.rglob("*.py")
        for key in re.findall(r'^define\(\s*"([\w.]+)"', path.read_text(), re.MULTILINE)
    }
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from leadflow.core.company_settings import REGISTRY; print(' '.join(REGISTRY))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "leadflow.settings"},
    ).stdout.split()
    assert len(defined) > 30
    assert defined <= set(shown)
