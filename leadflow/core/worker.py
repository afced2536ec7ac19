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
from .sweeps import schedule_sweep

logger = logging.getLogger(__name__)

BEAT_SECONDS = 10
WORKER_ALIVE = timedelta(seconds=60)


def beat_once(*, worker_id: str, started_at) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "last_seen": now,
        },
    )
    if schedule_sweep(now=now, worker_id=worker_id):
        logger.info("sweep for %s enqueued", now.replace(second=0, microsecond=0))


class Beat(threading.Thread):
    def __init__(self, worker_id: str):
        super().__init__(name="leadflow-beat", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                beat_once(worker_id=self.worker_id, started_at=self.started_at)
            except Exception:
                logger.exception("worker beat failed; retrying")
            finally:
                connection.close()
            self.stopped.wait(BEAT_SECONDS)


def run_worker(*, interval: float = 1.0, batch: bool = False, max_tasks: int | None = None) -> None:
    worker_id = f"{socket.gethostname()[:40]}-{get_random_string(12)}"
    beat = Beat(worker_id)
    if not batch:
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
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
