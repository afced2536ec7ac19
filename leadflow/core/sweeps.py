"""The minute sweep: one periodic task that runs every registered sweep.

Later areas register their deadline handlers here (overdue follow-ups, pool returns,
acceptance escalation …) with `@sweep("name")`. Each handler gets the sweep's moment,
does set-based work in its own transaction, must be idempotent (a minute may be retried)
and returns a small dict of counts for the health page.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from .models import PeriodicSlot
from .ratelimit import prune_rate_counters

logger = logging.getLogger(__name__)

SweepHandler = Callable[[datetime], dict[str, Any]]
SWEEPS: dict[str, SweepHandler] = {}
SWEEP_JOB = "sweep"


def sweep(name: str) -> Callable[[SweepHandler], SweepHandler]:
    def register(handler: SweepHandler) -> SweepHandler:
        SWEEPS[name] = handler
        return handler

    return register


def run_all_sweeps(now: datetime) -> dict[str, Any]:
    """Run every registered sweep at `now`. One failing sweep does not stop the others."""
    results: dict[str, Any] = {}
    for name, handler in SWEEPS.items():
        try:
            results[name] = handler(now)
        except Exception as error:  # report and carry on: the next minute retries
            logger.exception("sweep %s failed", name)
            results[name] = {"error": f"{type(error).__name__}: {error}"}
    return results


@task()
def run_sweeps(slot_id: int) -> dict[str, Any]:
    slot = PeriodicSlot.objects.get(pk=slot_id)
    PeriodicSlot.objects.filter(pk=slot_id).update(started_at=timezone.now())
    results = run_all_sweeps(slot.slot)
    PeriodicSlot.objects.filter(pk=slot_id).update(finished_at=timezone.now(), result=results)
    return results


def schedule_sweep(*, now: datetime, worker_id: str) -> bool:
    """Claim this minute's sweep and enqueue it; False when another worker already has.

    The slot row and the task row commit together, so a crash between them loses nothing
    and a second worker's insert of the same minute fails on the unique constraint.
    """
    minute = now.replace(second=0, microsecond=0)
    try:
        with transaction.atomic():
            slot = PeriodicSlot.objects.create(job=SWEEP_JOB, slot=minute, claimed_by=worker_id)
            run_sweeps.enqueue(slot.pk)
    except IntegrityError:
        return False
    return True


@sweep("platform.prune_history")
def prune_history(now: datetime) -> dict[str, Any]:
    """Forget sweep bookkeeping and finished task rows older than a week."""
    from django_tasks_db.models import DBTaskResult

    cutoff = now - timedelta(days=7)
    slots, _ = PeriodicSlot.objects.filter(slot__lt=cutoff).delete()
    counters = prune_rate_counters(now - timedelta(days=1))
    tasks, _ = DBTaskResult.objects.filter(status="SUCCESSFUL", finished_at__lt=cutoff).delete()
    return {"slots": slots, "tasks": tasks, "rate_counters": counters}
