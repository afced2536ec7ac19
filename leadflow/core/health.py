"""What /healthz reports: the database answers, and workers are alive and keeping up."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

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


def health_report(*, deep: bool = False) -> tuple[bool, dict]:
    """(database ok, report). Cheap by default, for a load balancer's poll every few
    seconds: the live workers' heartbeat rows (which also prove the database answers),
    the task queue as their last beat counted it, and the last sweep. `deep` counts the
    queue now and checks that writes can start (the SQLite writers' lock, the capture
    lock), which may wait up to WRITE_WAIT_SECONDS."""
    from django_tasks_db.models import DBTaskResult

    started = time.perf_counter()
    now = timezone.now()
    try:
        beats = _live_beats(now)
    except Exception as error:
        return False, {"status": "down", "database": {"ok": False, "error": str(error)[:200]}}
    database: dict = {
        "ok": True,
        "vendor": connection.vendor,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    last_sweep = _last_sweep()
    if deep:
        ready = DBTaskResult.objects.ready()
        pending = ready.count()
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    else:
        pending = beats[0][1] if beats else 0
        oldest = beats[0][2] if beats else None
    workers = {
        "alive": len(beats),
        "last_seen": beats[0][0] if beats else None,
        "pending_tasks": pending,
        "oldest_pending_seconds": round((now - oldest).total_seconds()) if oldest else 0,
        "last_sweep": last_sweep,
        "counted": "now" if deep else "at the last beat",
    }
    behind = last_sweep is None or now - last_sweep > timedelta(minutes=5)
    blocked = ""
    if deep:
        blocked = writes_blocked()
        database["writable"] = not blocked
        if blocked:
            database["error"] = blocked
    status = "ok" if workers["alive"] and not behind and not blocked else "degraded"
    return True, {"status": status, "database": database, "worker": workers}


# The two reads of every poll, written out: the ORM took longer to build them than the
# database to answer them (#27 goal 4).
_BEATS = (
    f"SELECT last_seen, pending_tasks, oldest_pending_at FROM {WorkerHeartbeat._meta.db_table} "  # noqa: S608
    "WHERE last_seen >= %s ORDER BY last_seen DESC"
)
_LAST_SWEEP = (
    f"SELECT slot FROM {PeriodicSlot._meta.db_table} "  # noqa: S608
    "WHERE job = %s AND finished_at IS NOT NULL ORDER BY slot DESC LIMIT 1"
)


def _live_beats(now: datetime) -> list[tuple[datetime, int, datetime | None]]:
    """(last seen, pending tasks, oldest pending) of each live worker, latest first."""
    since = connection.ops.adapt_datetimefield_value(now - WORKER_ALIVE)
    with connection.cursor() as cursor:
        cursor.execute(_BEATS, [since])
        return [
            (_moment(seen), pending, _moment(oldest) if oldest else None)
            for seen, pending, oldest in cursor.fetchall()
        ]


def _last_sweep() -> datetime | None:
    with connection.cursor() as cursor:
        cursor.execute(_LAST_SWEEP, [SWEEP_JOB])
        row = cursor.fetchone()
    return _moment(row[0]) if row else None


def _moment(value: datetime | str) -> datetime:
    """A stored moment as the ORM reads it: PostgreSQL gives it aware, SQLite as UTC text."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
