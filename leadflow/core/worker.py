"""The background worker: django-tasks-db's worker loop plus a beat thread that records a
heartbeat for /healthz and claims the minute sweep. Any number of workers may run on any
machines; the database decides who runs what."""

import logging
import os
import socket
import threading
from datetime import timedelta

from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from .models import WorkerHeartbeat
from .sweeps import schedule_sweep, sweep

logger = logging.getLogger(__name__)

BEAT_SECONDS = 10
WORKER_ALIVE = timedelta(seconds=60)
# The id of the worker this process runs ("" outside one): a claim a task makes names it,
# and lasts while its heartbeat does (the worker's lease, renewed every BEAT_SECONDS).
CURRENT = {"worker_id": ""}


def current_worker_id() -> str:
    return CURRENT["worker_id"]


def live_worker_ids(now) -> set[str]:
    """The workers whose lease is current: seen within WORKER_ALIVE."""
    alive = WorkerHeartbeat.objects.filter(last_seen__gte=now - WORKER_ALIVE)
    return set(alive.values_list("worker_id", flat=True))


@sweep("platform.orphaned_tasks")
def requeue_orphaned_tasks(now) -> dict[str, int]:
    """Tasks left RUNNING by a worker whose lease ran out (killed, machine lost) run
    again: every task is written to be safe to repeat (deliveries reuse their
    Message-ID; an import that died is marked failed by its own sweep)."""
    from django_tasks_db.models import DBTaskResult

    live = live_worker_ids(now)
    running = DBTaskResult.objects.filter(status="RUNNING", started_at__lt=now - WORKER_ALIVE)
    orphaned = [
        result.pk
        for result in running.only("pk", "worker_ids")
        if not result.worker_ids or result.worker_ids[-1] not in live
    ]
    requeued = DBTaskResult.objects.filter(pk__in=orphaned, status="RUNNING").update(
        status="READY", started_at=None
    )
    return {"requeued": requeued}


def beat_once(*, worker_id: str, started_at, schedule: bool = True) -> None:
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    ready = DBTaskResult.objects.ready()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "last_seen": now,
            "pending_tasks": ready.count(),
            "oldest_pending_at": ready.order_by("enqueued_at")
            .values_list("enqueued_at", flat=True)
            .first(),
        },
    )
    if schedule and schedule_sweep(now=now, worker_id=worker_id):
        logger.info("sweep for %s enqueued", now.replace(second=0, microsecond=0))


class Beat(threading.Thread):
    """The worker's heartbeat (its lease) every BEAT_SECONDS, and the minute sweep's
    claim unless `schedule` is off (a --batch run keeps its lease but runs no sweep)."""

    def __init__(self, worker_id: str, *, schedule: bool = True):
        super().__init__(name="leadflow-beat", daemon=True)
        self.worker_id = worker_id
        self.schedule = schedule
        self.started_at = timezone.now()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                beat_once(
                    worker_id=self.worker_id, started_at=self.started_at, schedule=self.schedule
                )
            except Exception:
                logger.exception("worker beat failed; retrying")
            finally:
                connection.close()
            self.stopped.wait(BEAT_SECONDS)


def run_worker(*, interval: float = 1.0, batch: bool = False, max_tasks: int | None = None) -> None:
    worker_id = f"{socket.gethostname()[:40]}-{get_random_string(12)}"
    CURRENT["worker_id"] = worker_id
    beat = Beat(worker_id, schedule=not batch)
    beat.start()
    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    worker.configure_signals()
    try:
        worker.run()
    finally:
        beat.stopped.set()
        beat.join(timeout=BEAT_SECONDS)  # its last beat must not land after the delete
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
