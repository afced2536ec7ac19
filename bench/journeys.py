"""Benchmark: 100,000 leads enter the A-class quick-conversion journey at once (issue #23, AUT-2).

    .venv/bin/python bench/journeys.py [--leads 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/journeys.py

Builds a fresh database (SQLite in a temporary folder, or a new PostgreSQL database next to
DATABASE_URL) with N accepted leads who agreed to marketing, each with an email and an
owner, and a loopback SMTP sink. The journey: score crosses 30 → proposal email → wait
48 h → opened? → priority high : priority low. Then, in the same run:
- floor: the rows the engine writes, bare (per lead an enrolment, its step runs and an
  email message copied from a real one; executemany in one transaction, rolled back);
- trigger: N "scored" events on the timeline (written in bulk first, not timed) read by
  the trigger sweep and turned into enrolments;
- first steps: the due enrolments claimed and run (each step run stored under its key,
  the email rendered, checked and put in the outbox);
- sends: the outbox to the sink over reused connections (SMTP, apart from the engine);
- wait and branch: 48 h later the waits come due, the branch and its step run;
prints each phase per second, and the engine's time (SMTP excluded) against the floor
(goal ≤ 5×), and the sends per second (goal ≥ 300 messages/s).
"""

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from email_send import _fill as fill_leads  # noqa: E402
from email_send import start_sink  # noqa: E402 - this folder, found as the script's own
from scratch_db import scratch_environment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    with scratch_environment("leadflow_journeys"):
        run(args.leads)


def run(count: int) -> None:
    sink, controller, _port = start_sink()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    marketer = _fill(count)
    journey = _journey(marketer)
    print(f"database          {connection.vendor}, {count:,} leads with email and an owner")

    from leadflow.journeys.engine import read_triggers, run_due_steps
    from leadflow.journeys.models import Enrollment, StepRun
    from leadflow.leads.events import leads_scored, scored_data
    from leadflow.mailing.models import EmailMessage
    from leadflow.mailing.sending import _deliver_batch

    now = datetime.now(UTC)
    leads_scored(
        (
            (n, scored_data(trigger="bench", score=[20, 35], grade=["B", "A"], rules={}))
            for n in range(1, count + 1)
        ),
        at=now,
    )
    trigger = _timed(lambda: _until_quiet(read_triggers, now))
    entered = Enrollment.objects.count()
    first = _timed(lambda: _until_quiet(run_due_steps, now))
    runs_first = StepRun.objects.count()
    began = time.perf_counter()
    while EmailMessage.objects.filter(status="queued").exists():
        _deliver_batch(datetime.now(UTC))
    sends = time.perf_counter() - began
    later = now + timedelta(hours=49)
    waited = _timed(lambda: _until_quiet(run_due_steps, later))
    runs_later = StepRun.objects.count() - runs_first
    engine = trigger + first + waited
    floor = _floor(journey, count, round((runs_first + runs_later) / max(entered, 1)))
    print(
        f"floor (INSERT)    {floor:8.1f} s   the same rows bare: an enrolment, its step runs "
        "and an email per lead"
    )
    print(f"trigger           {trigger:8.1f} s   {entered / trigger:10,.0f} enrolments/s")
    print(f"first steps       {first:8.1f} s   {runs_first / first:10,.0f} step runs/s")
    print(f"wait and branch   {waited:8.1f} s   {runs_later / waited:10,.0f} step runs/s")
    print(f"engine            {engine:8.1f} s   {engine / floor:5.1f}× the floor (goal ≤ 5×)")
    print(
        f"sends (SMTP)      {sends:8.1f} s   {sink.count / sends:10,.0f} messages/s "
        f"(goal ≥ 300; the sink got {sink.count:,})"
    )
    controller.stop()
    connection.close()


def _timed(call) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def _until_quiet(sweep, now) -> None:
    """Call a sweep until it finds nothing more (each call spends at most its budget)."""
    while sweep(now):
        pass


def _floor(journey, count: int, runs_per_lead: int) -> float:
    """The rows the engine writes, written bare: per lead one enrolment, its step runs
    and one email message (a copy of a real one), by executemany in one transaction,
    then undone."""
    from django.db import connection, transaction

    from leadflow.journeys.models import Enrollment, StepRun
    from leadflow.leads.bulk.sql import db_moment
    from leadflow.mailing.models import EmailMessage

    stamp = db_moment(datetime.now(UTC), connection.vendor)
    version = journey.current.pk
    sample = EmailMessage.objects.first()
    fields = [f for f in EmailMessage._meta.concrete_fields if f.attname != "id"]
    unique = {"message_id", "token", "source"}
    base = {f.attname: f.get_db_prep_save(getattr(sample, f.attname), connection) for f in fields}

    def message(n: int) -> list:
        return [
            f"{base[f.attname]}.{n}" if f.attname in unique else base[f.attname] for f in fields
        ]

    enrolments = [
        (journey.pk, version, n, "active", "s1", stamp, 0, "", stamp) for n in range(1, count + 1)
    ]
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {Enrollment._meta.db_table} (journey_id, version_id, lead_id, state, "  # noqa: S608
            "step, due_at, attempts, error, entered_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            enrolments,
        )
        cursor.execute(f"SELECT MIN(id) FROM {Enrollment._meta.db_table} WHERE step = 's1'")  # noqa: S608
        cursor.executemany(
            f"INSERT INTO {StepRun._meta.db_table} (enrollment_id, key, step, kind, outcome, "  # noqa: S608
            "detail, at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (1, f"floor.{n}.{run}", f"s{run}", "email", "done", "{}", stamp)
                for n in range(count)
                for run in range(runs_per_lead)
            ],
        )
        columns = ", ".join(f.column for f in fields)
        cursor.executemany(
            f"INSERT INTO {EmailMessage._meta.db_table} ({columns}) VALUES "  # noqa: S608
            f"({', '.join(['%s'] * len(fields))})",
            [message(n) for n in range(count)],
        )
        seconds = time.perf_counter() - began
        transaction.set_rollback(True)
    return seconds


def _journey(marketer):
    from leadflow.journeys.journeys import journey_save, journey_state_set
    from leadflow.mailing.sending import template_save

    template = template_save(
        values={
            "name": "A类-定制方案",
            "purpose": "marketing",
            "subject": "{{ lead.name }}，为您准备的定制方案",
            "html": '<p>{{ lead.contact_name|default:"您" }}好</p>'
            '<p><a href="https://example.cn/plan">查看方案</a></p>',
            "text": "方案见 https://example.cn/plan",
        },
        by=marketer,
    )
    journey = journey_save(
        values={
            "name": "A类快速转化旅程",
            "trigger": {"kind": "score_up", "threshold": 30},
            "reentry": "never",
            "quiet_hours": False,
        },
        steps=[
            {"id": "s1", "kind": "email", "template": template.pk},
            {"id": "s2", "kind": "wait", "hours": 48},
            {"id": "s3", "kind": "branch", "if": {"opened": True}, "yes": "s4", "no": "s5"},
            {"id": "s4", "kind": "priority", "value": "high"},
            {"id": "s5", "kind": "priority", "value": "low"},
        ],
        by=marketer,
    )
    return journey_state_set(journey=journey, state="active", by=marketer)


def _fill(count: int):
    """The email benchmark's leads, each owned by one rep; the trigger cursor past them."""
    from leadflow.core.company_settings import settings_update
    from leadflow.journeys.models import TriggerCursor

    marketer = fill_leads(count, owner_role="sales_rep")
    TriggerCursor.objects.create(name="leads", last_id=count)  # they were there before
    settings_update(changes={"mailing.per_minute": 100_000}, by=marketer)
    return marketer


if __name__ == "__main__":
    main()
