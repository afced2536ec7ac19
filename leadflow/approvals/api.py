"""Approvals over HTTP: list and read requests (within the viewer's sight), decide,
withdraw, resubmit. Each kind's own endpoint starts its requests (e.g. a lead's
reassign-requests) and answers with ApprovalOut."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404
from ninja import Field, Query, Router, Schema

from leadflow.core.paging import cursor_page

from .engine import approval_decide, approval_resubmit, approval_withdraw
from .kinds import kind_label
from .models import ApprovalRequest
from .queries import progress, request_for, requests_visible_to, timeline, waiting_tasks

router = Router(tags=["approvals"])


class ApprovalOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    state: str
    requester: str
    reason: str
    snapshot: dict[str, Any]
    amount: Decimal | None
    step: str | None = Field(None, description="the current step's name while in approval")
    round: int
    outcome: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_kind_label(request: ApprovalRequest) -> str:
        return str(kind_label(request.kind))

    @staticmethod
    def resolve_requester(request: ApprovalRequest) -> str:
        return str(request.requester)

    @staticmethod
    def resolve_step(request: ApprovalRequest) -> str | None:
        step = request.current_step
        return step["name"] if step else None


class TaskOut(Schema):
    approver: str
    state: str
    due_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    comment: str
    added: bool = Field(..., description="added to the step by an approver (加签)")


class StepOut(Schema):
    name: str
    mode: str
    state: str = Field(..., description="done | current | later | rejected | returned | withdrawn")
    tasks: list[TaskOut]


class EventOut(Schema):
    at: datetime
    kind: str
    actor: str | None
    comment: str
    data: dict[str, Any]


class ApprovalDetailOut(ApprovalOut):
    steps: list[StepOut]
    history: list[EventOut]


class ApprovalPage(Schema):
    items: list[ApprovalOut]
    next_cursor: str | None


class ApprovalFilters(Schema):
    box: str = Field(
        "todo", description="todo (waiting for my decision) | mine (I asked) | all (I may see)"
    )
    state: str = Field("", description="pending | approved | rejected | returned | withdrawn")
    kind: str = ""
    cursor: str = ""
    limit: int = 50


class DecideIn(Schema):
    decision: str = Field(..., description="approve | reject | return")
    comment: str = Field("", description="required to reject or return: why")
    choices: dict[str, Any] = Field(
        default_factory=dict, description="what the kind lets the last approver choose"
    )


class WithdrawIn(Schema):
    comment: str = ""


class ResubmitIn(Schema):
    reason: str


def _detail(request: ApprovalRequest) -> ApprovalRequest:
    """The request with its steps and history beside it, for ApprovalDetailOut."""
    steps = [
        {
            "name": step["name"],
            "mode": step["mode"],
            "state": step["state"],
            "tasks": [
                {
                    "approver": str(task.approver),
                    "state": task.state,
                    "due_at": task.due_at,
                    "decided_by": str(task.decided_by) if task.decided_by else None,
                    "decided_at": task.decided_at,
                    "comment": task.comment,
                    "added": task.added_by_id is not None,
                }
                for task in step["tasks"]
            ],
        }
        for step in progress(request)
    ]
    history = [
        {
            "at": event.at,
            "kind": event.kind,
            "actor": str(event.actor) if event.actor else None,
            "comment": event.comment,
            "data": event.data,
        }
        for event in timeline(request)
    ]
    request.__dict__.update(steps=steps, history=history)  # read by ApprovalDetailOut
    return request


def _visible(request, approval_id: int) -> ApprovalRequest:
    found = request_for(request.user, approval_id)
    if found is None:
        raise Http404
    return found


@router.get("/approvals", response=ApprovalPage, summary="Approval requests")
def approvals_list(request, filters: Query[ApprovalFilters]):
    user = request.user
    if filters.box == "todo":
        ids = waiting_tasks(user).values("request_id")
        requests = ApprovalRequest.objects.filter(pk__in=ids).select_related("requester")
    elif filters.box == "mine":
        requests = ApprovalRequest.objects.filter(requester=user).select_related("requester")
    else:
        requests = requests_visible_to(user)
    if filters.state:
        requests = requests.filter(state=filters.state)
    if filters.kind:
        requests = requests.filter(kind=filters.kind)
    page, next_cursor = cursor_page(requests, cursor=filters.cursor or None, limit=filters.limit)
    return {"items": page, "next_cursor": next_cursor}


@router.get("/approvals/{approval_id}", response=ApprovalDetailOut, summary="One request")
def approvals_get(request, approval_id: int):
    return _detail(_visible(request, approval_id))


@router.post(
    "/approvals/{approval_id}/decide", response=ApprovalDetailOut, summary="Approve, reject, return"
)
def approvals_decide(request, approval_id: int, payload: DecideIn):
    decided = approval_decide(
        request=_visible(request, approval_id),
        by=request.user,
        decision=payload.decision,
        comment=payload.comment,
        choices=payload.choices,
    )
    return _detail(decided)


@router.post(
    "/approvals/{approval_id}/withdraw", response=ApprovalDetailOut, summary="Withdraw my request"
)
def approvals_withdraw(request, approval_id: int, payload: WithdrawIn):
    withdrawn = approval_withdraw(
        request=_visible(request, approval_id), by=request.user, comment=payload.comment
    )
    return _detail(withdrawn)


@router.post(
    "/approvals/{approval_id}/resubmit",
    response=ApprovalDetailOut,
    summary="Resubmit a request returned for changes",
)
def approvals_resubmit(request, approval_id: int, payload: ResubmitIn):
    again = approval_resubmit(
        request=_visible(request, approval_id), by=request.user, reason=payload.reason
    )
    return _detail(again)
