"""What /healthz reports: the database answers, and workers are alive and keeping up."""

import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from .models import PeriodicSlot, WorkerHeartbeat
from .sweeps import SWEEP_JOB
from .worker import WORKER_ALIVE


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
    status = "ok" if workers["alive"] and not behind else "degraded"
    return True, {"status": status, "database": database, "worker": workers}
