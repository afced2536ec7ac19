"""Migrations that move data keep it (no data is ever lost)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("leads", "0019_conversion")]
AFTER = [("leads", "0020_followup_due_table")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_deadlines_move_to_the_sweeps_table_with_their_stage(make_user):
    # SPEC: LEAD-FUP-3 — a deadline and how far its lapse went survive the move.
    rep = make_user()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Lead = apps.get_model("leads", "Lead")
    moment = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    common = {
        "kind": "company",
        "industry": "制造业",
        "need": "采购设备",
        "channel_id": apps.get_model("leads", "Channel").objects.get(code="G").pk,
        "acquired_at": moment,
        "values_at": moment,
        "lawful_basis": "consent",
        "captured_via": "api",
        "created_at": moment,
        "updated_at": moment,
        "owner_id": rep.pk,
    }
    reminded = Lead.objects.create(
        number="G20260302001",
        name="甲",
        status="accepted",
        next_due_at=moment,
        overdue_stage=1,
        **common,
    )
    Lead.objects.create(number="G20260302002", name="乙", status="assigned", **common)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    due = apps.get_model("leads", "FollowUpDue").objects.get()
    assert (due.lead_id, due.owner_id, due.due_at) == (reminded.pk, rep.pk, moment)
    assert (due.first_contact, due.overdue_stage) == (True, 1)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
