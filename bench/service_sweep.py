"""Benchmark: the service deadline sweep over 100,000 open tickets, 10,000 of them past
their first-contact deadline (issue #22, SVC-2).

    .venv/bin/python bench/service_sweep.py [--tickets 100000] [--due 10000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/service_sweep.py

Builds a fresh database (SQLite in a temporary folder, or a new PostgreSQL database next to
DATABASE_URL) with N open complaints taken in by 20 agents, each with a running
first-contact clock, `--due` of them past their deadline. Then, best of three (each run
starts from the same state):
- floor: the set-based SQL of the same work with no rules: one UPDATE … RETURNING that
  marks the due clocks missed and one INSERT … SELECT that writes their "missed" steps,
  committed;
- sweep: `service.clocks.watch_deadlines` (marks the misses, writes the steps, tells each
  agent's head once), committed.
Prints both and the ratio. Goal: ≤ 2× the floor. A second sweep, finding nothing, is
timed too.
"""

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scratch_db import scratch_environment  # noqa: E402 - this folder, found as the script's own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()
    with scratch_environment("leadflow_service_sweep"):
        run(args)


def run(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    now = datetime.now(UTC)
    started = time.perf_counter()
    _fill(args.tickets, args.due, now)
    print(
        f"database          {connection.vendor}, {args.tickets:,} open tickets, "
        f"{args.due:,} past due (filled in {time.perf_counter() - started:.0f} s)"
    )
    from leadflow.service.clocks import watch_deadlines

    floors, sweeps = [], []
    for _ in range(3):
        floors.append(_floor(now))
        _reset()
        began = time.perf_counter()
        result = watch_deadlines(now)
        sweeps.append(time.perf_counter() - began)
        assert result["missed"] == args.due, result
        _reset()
    floor, sweep = min(floors), min(sweeps)
    watch_deadlines(now)
    began = time.perf_counter()
    nothing = watch_deadlines(now + timedelta(seconds=1))
    idle = time.perf_counter() - began
    print(f"floor (set SQL)   {floor * 1000:8,.0f} ms")
    print(
        f"sweep             {sweep * 1000:8,.0f} ms   {sweep / floor:4.1f}× the floor "
        f"(goal ≤ 2×)   {args.due:,} missed"
    )
    print(f"sweep, none new   {idle * 1000:8,.1f} ms   {nothing}")
    connection.close()  # so the scratch database can be dropped


def _floor(now: datetime) -> float:
    """The same marking and steps as plain SQL, committed, timed."""
    from django.db import connection, transaction

    from leadflow.service.models import TicketClock, TicketStep

    clocks, steps = TicketClock._meta.db_table, TicketStep._meta.db_table
    moment = connection.ops.adapt_datetimefield_value(now)
    began = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {clocks} SET stage = 2, missed_at = %s "
                "WHERE stage IN (0, 1) AND paused_at IS NULL AND due_at < %s "
                "RETURNING ticket_id",
                [moment, moment],
            )
            missed = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                f"INSERT INTO {steps} (ticket_id, kind, at, text, data) "
                f"SELECT ticket_id, 'missed', %s, kind, '{{}}' FROM {clocks} "
                "WHERE stage = 2 AND missed_at = %s",
                [moment, moment],
            )
    elapsed = time.perf_counter() - began
    assert missed
    return elapsed


def _reset() -> None:
    """Back to the state before the sweep: clocks running, no steps, no notices."""
    from django.db import transaction

    from leadflow.notify.models import Delivery, Notification
    from leadflow.service.models import TicketClock, TicketStep

    with transaction.atomic():
        TicketClock.objects.update(stage=0, missed_at=None)
        TicketStep.objects.filter(kind="missed").delete()
        Notification.objects.all().delete()
        Delivery.objects.all().delete()


def _fill(count: int, due: int, now: datetime) -> None:
    from django.db import connection, transaction

    from leadflow.accounts.models import Role, User
    from leadflow.accounts.org import department_create
    from leadflow.service.models import Ticket, TicketCategory, TicketClock

    service = department_create(by=None, name="客户服务组")
    role = Role.objects.get(code="customer_service")
    head = User.objects.create(username="head", display_name="组长", role=role, department=service)
    service.manager = head
    service.save(update_fields=["manager"])
    agents = [
        User.objects.create(
            username=f"agent{n}", display_name=f"客服{n}", role=role, department=service
        )
        for n in range(20)
    ]
    category = TicketCategory.objects.first()
    with transaction.atomic():
        tickets = Ticket.objects.bulk_create(
            (
                Ticket(
                    number=f"SV-B-{n:07d}",
                    kind="complaint",
                    source="phone",
                    category=category,
                    subject="压测投诉",
                    content="压测",
                    contact_name="王先生",
                    received_by=agents[n % len(agents)],
                    received_at=now - timedelta(days=2),
                    updated_at=now - timedelta(days=2),
                )
                for n in range(count)
            ),
            batch_size=5_000,
        )
        TicketClock.objects.bulk_create(
            (
                TicketClock(
                    ticket=ticket,
                    kind="contact",
                    started_at=now - timedelta(days=2),
                    # the first `due` are past; the rest fall due over the coming week
                    remind_at=now + timedelta(minutes=n - due) - timedelta(hours=2),
                    due_at=now + timedelta(minutes=n - due),
                )
                for n, ticket in enumerate(tickets)
            ),
            batch_size=5_000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


if __name__ == "__main__":
    main()
