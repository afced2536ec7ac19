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


def _lead_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger"
                " WHERE tgrelid = 'leads_lead'::regclass AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'leads_lead'"
            )
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_funnel_tally_triggers_survive_the_rebuild_of_the_lead_table():
    # SPEC: ANA-2 — SQLite rebuilds the lead table to change the deal link (0024), and a
    # rebuild drops the table's triggers: without them the funnel would silently go stale.
    triggers = {"leads_funnel_tally_update", "leads_funnel_tally_delete"}
    assert _lead_triggers() == triggers
    executor = MigrationExecutor(connection)
    executor.migrate([("leads", "0023_funnel_tally")])
    assert _lead_triggers() == triggers
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert _lead_triggers() == triggers
