"""Approval deadlines (the minute sweep): a step's approvers are reminded when three
quarters of its working hours have passed, and at the deadline the approver's manager
is told (escalation). Each reminder and escalation is claimed by a conditional update,
so two workers sweeping together tell nobody twice; no request is polled on its own."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from leadflow.accounts.org import manager_of
from leadflow.core.sweeps import sweep
from leadflow.notify.delivery import Message, notify

from .engine import delegates_of, event_record
from .models import ApprovalRequest, ApprovalTask

WAITING = ApprovalTask.State.WAITING
BATCH = 500


def _claimed(field: str, before_field: str, now: datetime) -> list[ApprovalTask]:
    """Waiting tasks past `before_field` not yet marked in `field`, each marked now."""
    candidates = ApprovalTask.objects.filter(
        state=WAITING,
        request__state=ApprovalRequest.State.PENDING,
        **{f"{before_field}__lte": now, f"{field}__isnull": True},
    ).values_list("id", flat=True)[:BATCH]
    claimed = [
        task_id
        for task_id in list(candidates)
        if ApprovalTask.objects.filter(pk=task_id, **{f"{field}__isnull": True}).update(
            **{field: now}
        )
        == 1
    ]
    return list(
        ApprovalTask.objects.filter(pk__in=claimed).select_related(
            "request", "approver", "approver__team", "approver__department"
        )
    )


@sweep("approvals.deadlines")
def approval_deadlines(now: datetime) -> dict[str, Any]:
    with transaction.atomic():
        reminded = _claimed("reminded_at", "remind_at", now)
        delegates = delegates_of([task.approver for task in reminded], timezone.localdate(now))
        for task in reminded:
            request = task.request
            due = timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M")
            notify(
                [task.approver, *delegates.get(task.approver_id, [])],
                Message(
                    title=gettext("Reminder: %(title)s waits for your approval")
                    % {"title": request.title},
                    body=gettext("Decide by %(due)s.") % {"due": due},
                    url=f"/approvals/{request.pk}/",
                    level="warning",
                ),
            )
            event_record(
                request,
                "reminded",
                by=None,
                at=now,
                data={
                    "step": request.plan[task.step_index]["name"],
                    "approver": str(task.approver),
                },
            )
    with transaction.atomic():
        escalated = _claimed("escalated_at", "due_at", now)
        for task in escalated:
            request, manager = task.request, manager_of(task.approver)
            step = request.plan[task.step_index]["name"]
            message = Message(
                title=gettext("Overdue approval: %(title)s") % {"title": request.title},
                body=gettext("%(approver)s has not decided the step %(step)s in time.")
                % {"approver": task.approver, "step": step},
                url=f"/approvals/{request.pk}/",
                level="warning",
            )
            notify([task.approver, *([manager] if manager else [])], message)
            event_record(
                request,
                "escalated",
                by=None,
                at=now,
                data={
                    "step": step,
                    "approver": str(task.approver),
                    "manager": str(manager) if manager else "",
                },
            )
    return {"reminded": len(reminded), "escalated": len(escalated)}
