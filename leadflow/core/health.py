"""What /healthz reports: the database answers, and workers are alive and keeping up."""

import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from .models import PeriodicSlot, WorkerHeartbeat
from .sweeps import SWEEP_JOB
from .worker import WORKER_ALIVE

# How long /healthz waits to see that a write could start: longer than any one writer's
# transaction (an import's lasts a couple of seconds), far shorter than a frozen lock.
WRITE_WAIT_SECONDS = 5.0
WriteCheck = Callable[[float], str]
_WRITE_CHECKS: list[WriteCheck] = []


def write_check(check: WriteCheck) -> WriteCheck:
    """Register a check of a lock every write of an area takes: given the seconds to
    wait, it answers "" or why writes cannot start (leads: the capture lock)."""
    _WRITE_CHECKS.append(check)
    return check


@write_check
def _sqlite_writers(seconds: float) -> str:
    free = getattr(connection, "writers_lock_free_within", None)
    if free is None or free(seconds):
        return ""
    return f"the SQLite writers' lock was not free within {seconds:g} s"


def writes_blocked() -> str:
    """Why a write cannot start now, or "" when it can."""
    for check in _WRITE_CHECKS:
        if reason := check(WRITE_WAIT_SECONDS):
            return reason
    return ""


def health_report() -> tuple[bool, dict]:
    """(database ok, report)."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return False, {"status": "down", "database": {"ok": False, "error": str(error)[:200]}}
    database = {
        "ok": True,
        "vendor": connection.vendor,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    blocked = writes_blocked()
    database["writable"] = not blocked
    if blocked:
        database["error"] = blocked
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    alive = WorkerHeartbeat.objects.filter(last_seen__gte=now - WORKER_ALIVE)
    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    last_sweep = (
        PeriodicSlot.objects.filter(job=SWEEP_JOB, finished_at__isnull=False)
        .order_by("-slot")
        .values_list("slot", flat=True)
        .first()
    )
    workers = {
        "alive": alive.count(),
        "last_seen": alive.order_by("-last_seen").values_list("last_seen", flat=True).first(),
        "pending_tasks": ready.count(),
        "oldest_pending_seconds": round((now - oldest).total_seconds()) if oldest else 0,
        "last_sweep": last_sweep,
    }
    behind = last_sweep is None or now - last_sweep > timedelta(minutes=5)
    status = "ok" if workers["alive"] and not behind and not blocked else "degraded"
    return True, {"status": status, "database": database, "worker": workers}
