"""Reads of approval requests, through the viewer's sight (SEC-1): a person sees the
requests they made, decide or decided, are copied in on, or whose requester is within
their data scope."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from leadflow.accounts.scope import scope_filter

from .engine import deciding_for
from .models import ApprovalRequest, ApprovalTask


def requests_visible_to(user) -> QuerySet[ApprovalRequest]:
    decides = ApprovalTask.objects.filter(deciding_for(user, timezone.localdate())).values(
        "request_id"
    )
    involved = (
        Q(requester=user) | Q(id__in=decides) | Q(tasks__decided_by=user) | Q(copies__user=user)
    )
    ids = ApprovalRequest.objects.filter(involved).values("id")
    scope = scope_filter(user, owner_field="requester")
    # An empty Q (a scope that sees everything) would vanish from an OR: it stands alone.
    sight = Q(id__in=ids) | scope if scope else Q()
    return ApprovalRequest.objects.filter(sight).select_related("requester", "flow").distinct()


def request_for(user, request_id: int) -> ApprovalRequest | None:
    return requests_visible_to(user).filter(pk=request_id).first()


def waiting_tasks(user) -> QuerySet[ApprovalTask]:
    """The tasks waiting for the user's decision: their own, and those of whoever
    delegated to them today, on the current step of a pending request."""
    return (
        ApprovalTask.objects.filter(
            deciding_for(user, timezone.localdate()),
            state=ApprovalTask.State.WAITING,
            request__state=ApprovalRequest.State.PENDING,
        )
        .select_related("request", "request__requester", "approver")
        .order_by("due_at", "id")
    )


def todo_count(user) -> int:
    """For the navigation's badge."""
    return waiting_tasks(user).values("request_id").distinct().count()


def timeline(request: ApprovalRequest) -> list:
    return list(request.events.select_related("actor").order_by("at", "id"))


def progress(request: ApprovalRequest) -> list[dict]:
    """The plan as a progress line: each step with its state and its approvers' tasks in
    the current round."""
    tasks = list(
        request.tasks.filter(round=request.round).select_related(
            "approver", "decided_by", "added_by"
        )
    )
    steps = []
    for index, step in enumerate(request.plan):
        own = [task for task in tasks if task.step_index == index]
        if request.state == ApprovalRequest.State.APPROVED or index < request.step_index:
            state = "done"
        elif index == request.step_index and request.state == ApprovalRequest.State.PENDING:
            state = "current"
        elif index == request.step_index:
            state = request.state  # rejected, returned or withdrawn here
        else:
            state = "later"
        steps.append({**step, "state": state, "tasks": own})
    return steps
