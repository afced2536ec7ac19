"""The minute sweep and the background worker (DESIGN: Time)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from leadflow.core import sweeps
from leadflow.core.health import health_report
from leadflow.core.models import PeriodicSlot, WorkerHeartbeat
from leadflow.core.worker import beat_once

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


@pytest.fixture
def counting_sweep():
    seen: list[datetime] = []

    def handler(now):
        seen.append(now)
        return {"count": len(seen)}

    sweeps.SWEEPS["test.counter"] = handler
    yield seen
    del sweeps.SWEEPS["test.counter"]


def test_two_workers_claim_each_minute_once(counting_sweep, run_tasks):
    with time_machine.travel(datetime(2026, 3, 9, 1, 0, 5, tzinfo=UTC), tick=False):
        assert sweeps.schedule_sweep(now=datetime(2026, 3, 9, 1, 0, 5, tzinfo=UTC), worker_id="a")
        assert not sweeps.schedule_sweep(
            now=datetime(2026, 3, 9, 1, 0, 40, tzinfo=UTC), worker_id="b"
        )
        run_tasks()
    assert counting_sweep == [datetime(2026, 3, 9, 1, 0, tzinfo=UTC)]
    slot = PeriodicSlot.objects.get(job=sweeps.SWEEP_JOB)
    assert slot.claimed_by == "a"
    assert slot.finished_at is not None
    assert slot.result["test.counter"] == {"count": 1}


def test_next_minute_runs_again(counting_sweep, run_tasks):
    for minute in (0, 1):
        moment = datetime(2026, 3, 9, 1, minute, 5, tzinfo=UTC)
        with time_machine.travel(moment, tick=False):
            assert sweeps.schedule_sweep(now=moment, worker_id="a")
            run_tasks()
    assert len(counting_sweep) == 2


def test_sweep_enqueued_in_a_rolled_back_transaction_never_runs(counting_sweep, run_tasks):
    moment = datetime(2026, 3, 9, 1, 0, 5, tzinfo=UTC)

    def failing_change():
        with transaction.atomic():
            sweeps.schedule_sweep(now=moment, worker_id="a")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert not DBTaskResult.objects.exists()
    run_tasks()
    assert counting_sweep == []


def test_a_failing_sweep_does_not_stop_the_others(counting_sweep):
    def broken(now):
        raise ValueError("boom")

    sweeps.SWEEPS["test.broken"] = broken
    try:
        results = sweeps.run_all_sweeps(datetime(2026, 3, 9, 1, 0, tzinfo=UTC))
    finally:
        del sweeps.SWEEPS["test.broken"]
    assert results["test.broken"] == {"error": "ValueError: boom"}
    assert results["test.counter"] == {"count": 1}


def test_beat_records_heartbeat_and_health_reports_it(client, run_tasks):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["worker"]["alive"] == 0
    beat_once(worker_id="w1", started_at=datetime(2026, 3, 9, tzinfo=UTC))
    run_tasks()
    report = client.get("/healthz").json()
    assert report["database"]["ok"] is True
    assert report["worker"]["alive"] == 1
    assert report["worker"]["last_sweep"] is not None
    assert report["status"] == "ok"
    assert WorkerHeartbeat.objects.get().worker_id == "w1"


def test_old_bookkeeping_is_pruned(run_tasks):
    start = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        sweeps.schedule_sweep(now=start, worker_id="a")
        run_tasks()
    later = start + timedelta(days=8)
    result = sweeps.prune_history(later)
    assert result["slots"] == 2  # the minute's sweep, and the day's claim to train the model
    assert not PeriodicSlot.objects.exists()


def test_the_cheap_health_check_reads_the_last_beat_and_the_deep_one_counts_now(
    client, django_assert_max_num_queries
):
    # SPEC: #27 goal 4 — /healthz answers from cheap facts; the deep check stays available
    for _ in range(3):
        sweeps.run_sweeps.enqueue(0)
    beat_once(worker_id="w1", started_at=datetime(2026, 3, 9, tzinfo=UTC), schedule=False)
    sweeps.run_sweeps.enqueue(0)  # queued after the beat: only the deep check counts it
    with django_assert_max_num_queries(2):
        cheap = client.get("/healthz").json()
    assert cheap["worker"]["pending_tasks"] == 3
    assert cheap["worker"]["counted"] == "at the last beat"
    assert "writable" not in cheap["database"]
    # Answered ahead of the session, language and agreement middleware: no cookie, no
    # language, and the same answer whatever the client's language.
    answer = client.get("/healthz", HTTP_ACCEPT_LANGUAGE="en")
    assert "Content-Language" not in answer.headers
    assert not answer.cookies
    # The moments read back as the ORM reads them, aware, on either database.
    _, report = health_report()
    assert report["worker"]["last_seen"] == WorkerHeartbeat.objects.get().last_seen
    assert report["worker"]["last_seen"].tzinfo is not None
    deep = client.get("/healthz?deep=1").json()
    assert deep["worker"]["pending_tasks"] == 4
    assert deep["database"]["writable"] is True
