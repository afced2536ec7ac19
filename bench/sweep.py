"""Benchmark: the follow-up sweep over 1,000,000 open leads, 100,000 of them newly overdue.

    .venv/bin/python bench/sweep.py [--leads 1000000] [--overdue 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/sweep.py

Builds a fresh database (SQLite in a temporary folder, or a new PostgreSQL database next to
DATABASE_URL) with N accepted leads spread over 20 reps, `--overdue` of them past their
deadline, then times `leads.followup.remind_overdue` twice: the first run finds the newly
overdue leads (reminds each rep once, counts every lapse); the second finds nothing new.
Then the public-pool sweep (`leads.pool.return_idle_leads`) when nothing is due back.
Beside the first sweep, its floor in the same run (#27 goal 5): a bare set-based UPDATE
of the same deadlines and INSERT … SELECT of the same lapses, committed, then undone. Goal: the first
sweep ≤ 1.5× the floor (reference, issue #5: ≤ 2 s on SQLite, ≤ 3 s on PostgreSQL);
second ≤ 50 ms.
"""

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scratch_db import lead_columns, lead_row, scratch_environment  # noqa: E402 - this folder, found as the script's own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=100_000)
    args = parser.parse_args()
    with scratch_environment("leadflow_sweep"):
        run(args)


def run(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    now = datetime.now(UTC)
    started = time.perf_counter()
    _fill(args.leads, args.overdue, now)
    print(
        f"database          {connection.vendor}, {args.leads:,} accepted leads, "
        f"{args.overdue:,} overdue (filled in {time.perf_counter() - started:.0f} s)"
    )

    from leadflow.leads.followup import remind_overdue
    from leadflow.leads.pool import return_idle_leads

    floor = _floor(now)
    print(f"floor             {floor * 1000:,.0f} ms   bare UPDATE + INSERT … SELECT, committed")
    for label, sweep in (
        ("first sweep", remind_overdue),
        ("second sweep", remind_overdue),
        ("pool, none due", return_idle_leads),
    ):
        started = time.perf_counter()
        result = sweep(now)
        seconds = time.perf_counter() - started
        ratio = f"   {seconds / floor:.2f}× the floor" if label == "first sweep" else ""
        print(f"{label:<17} {seconds * 1000:,.0f} ms   {result}{ratio}")
    connection.close()  # so the scratch database can be dropped


def _floor(now: datetime) -> float:
    """Seconds for the first sweep's writes as two bare statements, committed (a commit of
    200,000 written rows is part of the work), then undone, untimed."""
    from django.db import connection, transaction

    moment = connection.ops.adapt_datetimefield_value(now)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE leads_followupdue SET overdue_stage = 1 WHERE overdue_stage = 0 AND due_at < %s",
            [moment],
        )
        cursor.execute(
            "INSERT INTO leads_followuplapse (lead_id, rep_id, kind, due_at, noticed_at) "
            "SELECT lead_id, owner_id, CASE WHEN first_contact THEN 'first' "
            "ELSE 'cadence' END, due_at, %s FROM leads_followupdue "
            "WHERE overdue_stage = 1 AND due_at < %s",
            [moment, moment],
        )
    seconds = time.perf_counter() - started
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE leads_followupdue SET overdue_stage = 0 WHERE overdue_stage = 1")
        cursor.execute("DELETE FROM leads_followuplapse")
    return seconds


def _fill(leads: int, overdue: int, now: datetime) -> None:
    from django.db import connection, transaction

    from leadflow.accounts.models import Role, User
    from leadflow.leads.bulk.sql import db_moment, insert_leads
    from leadflow.leads.models import Channel

    columns = lead_columns()

    role = Role.objects.get(code="sales_rep")
    reps = [
        User.objects.create(username=f"rep{n}", display_name=f"销售{n}", role=role).pk
        for n in range(20)
    ]
    channel = Channel.objects.get(code="G").pk
    vendor = connection.vendor
    stamp = db_moment(now - timedelta(days=3), vendor)
    batch, dues = [], []
    with transaction.atomic():
        for n in range(1, leads + 1):
            due = (
                now - timedelta(minutes=1 + n % 600)
                if n <= overdue
                else now + timedelta(hours=1 + n % 200)
            )
            row = lead_row(
                n,
                stamp,
                channel_id=channel,
                owner_id=reps[n % len(reps)],
                next_due_at=db_moment(due, vendor),
                pool_due_at=db_moment(due + timedelta(days=7), vendor),
            )
            batch.append([row.get(name) for name in columns])
            dues.append((n, row["owner_id"], row["next_due_at"], True, 0))
            if len(batch) == 50_000:
                insert_leads(batch, columns)  # the importer's bulk insert (COPY on PostgreSQL)
                _insert_dues(dues)
                batch.clear()
                dues.clear()
        if batch:
            insert_leads(batch, columns)
            _insert_dues(dues)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('leads_lead', 'id'), %s)", [leads])
            cursor.execute("ANALYZE leads_lead")
            cursor.execute("ANALYZE leads_followupdue")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _insert_dues(rows: list[tuple]) -> None:
    """The sweep's copy of each deadline (what `followup.write_deadlines` keeps)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO leads_followupdue (lead_id, owner_id, due_at, first_contact, "
            "overdue_stage) VALUES (%s, %s, %s, %s, %s)",
            rows,
        )


if __name__ == "__main__":
    main()
