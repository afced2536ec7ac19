"""The approval engine: submit, decide (approve, reject, return), resubmit, withdraw, add an
approver (加签), copy people in (抄送). Each is one transaction that locks the request
first, so two approvers pressing at once, or one pressing twice, make one decision and
one outcome. The subject's app hears of the end through its registered `Kind`.
"""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.core.audit import audit_record, register_action_labels, register_object_labels
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed
from leadflow.core.storable import check_storable
from leadflow.core.worktime import WorkCalendar
from leadflow.notify.delivery import Message, notify

from .flows import plan_for, step_approvers
from .kinds import Kind, kind_label, kind_of
from .models import (
    ApprovalEvent,
    ApprovalRequest,
    ApprovalTask,
    CarbonCopy,
    Delegation,
    Flow,
    FlowStep,
)

State = ApprovalRequest.State
Task = ApprovalTask.State
DECISIONS = ("approve", "reject", "return")

# Every kind of event on a request and what its data holds.
EVENT_KINDS: dict[str, str] = {
    "submitted": "round, steps [names]",
    "resubmitted": "round, steps [names]",
    "approved": "step, for (the approver a delegate decided for, if any)",
    "step_passed": "step, next (the next step's name, or none when it was the last)",
    "completed": "outcome (what the subject's app did)",
    "rejected": "step, for",
    "returned": "step, for",
    "withdrawn": "(nothing)",
    "approver_added": "step, user",
    "copied": "users [names]",
    "reminded": "step, approver",
    "escalated": "step, approver, manager",
}

register_object_labels(
    {
        "approvals.approvalrequest": _("Approval request"),
        "approvals.flow": _("Approval flow"),
    }
)
register_action_labels(
    {
        "approval.submitted": _("submitted for approval"),
        "approval.resubmitted": _("resubmitted for approval"),
        "approval.approved": _("approved"),
        "approval.rejected": _("rejected"),
        "approval.returned": _("returned for changes"),
        "approval.withdrawn": _("withdrew"),
        "approval.approver_added": _("added an approver to"),
        "approval.copied": _("copied people in on"),
        "approval.": _("changed approval"),
        "approvalflow.": _("changed the approval flow"),
        "delegation.": _("changed a delegation of approvals"),
    }
)


def event_record(
    request: ApprovalRequest,
    kind: str,
    *,
    by: User | None,
    at: datetime,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> ApprovalEvent:
    """One line of the request's history; a person's act is audited too (SEC-3)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"{kind!r} is not an approval event kind (approvals.engine.EVENT_KINDS)")
    event = ApprovalEvent.objects.create(
        request=request, at=at, actor=by, kind=kind, comment=comment, data=data or {}
    )
    if by is not None:
        audit_record(
            actor=by,
            action=f"approval.{kind}",
            obj=request,
            extra={**(data or {}), "comment": comment},
        )
    return event


def _progressed(request: ApprovalRequest) -> None:
    """Tell the subject's app where its request stands now (a kind may follow it, e.g. a
    campaign's in review → awaiting approval → returned); optional for a kind."""
    follow = getattr(_kind(request.kind), "on_progress", None)
    if follow is not None:
        follow(request)


def _kind(code: str) -> Kind:
    kind = kind_of(code)
    if kind is None:
        raise ValueError(f"no approvals kind {code!r} is registered")
    return kind


def _link(request: ApprovalRequest) -> str:
    return f"/approvals/{request.pk}/"


def _tell(users: Iterable[User], title: str, body: str, request: ApprovalRequest, level="info"):
    recipients = {user.pk: user for user in users if user is not None}
    if recipients:
        notify(
            list(recipients.values()),
            Message(title=title, body=body, url=_link(request), level=level),
        )


def delegates_of(users: Iterable[User], day: date) -> dict[int, list[User]]:
    """{user id: delegates deciding for them on `day`}."""
    found: dict[int, list[User]] = {}
    delegations = Delegation.objects.filter(
        user__in=list(users), starts_on__lte=day, ends_on__gte=day, ended_at__isnull=True
    ).select_related("delegate")
    for delegation in delegations:
        found.setdefault(delegation.user_id, []).append(delegation.delegate)
    return found


def deciding_for(user: User, day: date) -> Q:
    """Tasks `user` decides on `day`: their own and those of whoever delegated to them,
    as one condition (no query of its own)."""
    delegated = Delegation.objects.filter(
        delegate=user, starts_on__lte=day, ends_on__gte=day, ended_at__isnull=True
    ).values("user_id")
    return Q(approver=user) | Q(approver_id__in=delegated)


# ----------------------------------------------------------------- submitting


def _checked_reason(reason: str, *, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            gettext("The request was not sent."), fields={field: gettext("required: say why")}
        )
    if len(reason) > 500:
        raise ValidationFailed(
            gettext("The request was not sent."), fields={field: gettext("at most 500 characters")}
        )
    check_storable(ApprovalRequest, {"reason": reason})
    return reason


def _values(request_values: Mapping[str, Any], amount) -> dict[str, Any]:
    return {**request_values, "amount": amount}


@transaction.atomic
def approval_submit(
    *,
    kind: str,
    subject: models.Model,
    by: User,
    reason: str,
    title: str,
    values: Mapping[str, Any] | None = None,
    copy_to: Iterable[User] = (),
) -> ApprovalRequest:
    """Start a request of `kind` about `subject`. Refused, changing nothing, when the kind's
    flow has no step that applies or nobody can decide its first step."""
    handler = _kind(kind)
    reason = _checked_reason(reason)
    flow = Flow.objects.filter(kind=kind).first()
    if flow is None:
        raise Conflict(
            gettext("No approval flow is set up for %(kind)s: ask an administrator.")
            % {"kind": kind_label(kind)},
            fields={"kind": kind},
        )
    now = timezone.now()
    snapshot = handler.snapshot(subject, values or {})
    amount = handler.amount(subject, values or {})
    request = ApprovalRequest(
        flow=flow,
        kind=kind,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        title=title[:200],
        requester=by,
        reason=reason,
        snapshot=snapshot,
        amount=amount,
        created_at=now,
        updated_at=now,
    )
    request.plan = _checked_plan(flow, _values(snapshot, amount))
    request.save()
    event_record(
        request,
        "submitted",
        by=by,
        at=now,
        comment=reason,
        data={"round": 1, "steps": [step["name"] for step in request.plan]},
    )
    _open_step(request, now)
    _progressed(request)
    if copy_to:
        _copy(request, copy_to, by=by, now=now)
    return request


def _checked_plan(flow: Flow, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    plan = plan_for(flow, values)
    if not plan:
        raise Conflict(
            gettext(
                "The approval flow %(flow)s has no step for this request: ask an administrator."
            )
            % {"flow": flow.name},
            fields={"flow": flow.name},
        )
    return plan


def _open_step(request: ApprovalRequest, now: datetime) -> None:
    """Give the current step's approvers their tasks, with its deadline in working hours."""
    planned = request.plan[request.step_index]
    step = FlowStep.objects.filter(pk=planned["step"]).select_related("role", "user").first()
    approvers = (
        step_approvers(
            step, requester=request.requester, subject=request.subject, kind=_kind(request.kind)
        )
        if step is not None
        else []
    )
    if not approvers:
        raise Conflict(
            gettext("Nobody can decide the step %(step)s: ask an administrator to fix the flow.")
            % {"step": planned["name"]},
            fields={"step": planned["name"]},
        )
    _add_tasks(request, approvers, now=now, hours=planned["deadline_hours"])


def _add_tasks(
    request: ApprovalRequest, approvers: list[User], *, now: datetime, hours: int, added_by=None
) -> list[ApprovalTask]:
    calendar = WorkCalendar.for_company()
    due_at = calendar.add_hours(now, hours)
    remind_at = calendar.add_hours(now, hours * 3 / 4)
    tasks = ApprovalTask.objects.bulk_create(
        ApprovalTask(
            request=request,
            round=request.round,
            step_index=request.step_index,
            approver=approver,
            added_by=added_by,
            due_at=due_at,
            remind_at=remind_at,
            created_at=now,
        )
        for approver in approvers
    )
    delegates = delegates_of(approvers, timezone.localdate(now))
    told = [*approvers, *(d for ds in delegates.values() for d in ds)]
    _tell(
        told,
        gettext("Waiting for your approval: %(title)s") % {"title": request.title},
        gettext("%(requester)s asks: %(reason)s. Decide by %(due)s.")
        % {
            "requester": request.requester,
            "reason": request.reason,
            "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M"),
        },
        request,
    )
    return tasks


# ----------------------------------------------------------------- deciding


def _locked(request: ApprovalRequest) -> ApprovalRequest:
    """The request, locked until this transaction ends (a row lock on PostgreSQL; SQLite's
    IMMEDIATE transactions already run one writer at a time)."""
    return (
        ApprovalRequest.objects.select_for_update().select_related("requester").get(pk=request.pk)
    )


def _my_task(request: ApprovalRequest, by: User, now: datetime) -> ApprovalTask:
    if by.pk == request.requester_id:
        raise Forbidden(gettext("Nobody decides their own request."), code="own_request")
    waiting = ApprovalTask.objects.filter(
        request=request, round=request.round, step_index=request.step_index, state=Task.WAITING
    )
    own = waiting.filter(approver=by).first()
    if own is not None:
        return own
    delegated = waiting.filter(deciding_for(by, timezone.localdate(now))).first()
    if delegated is not None:
        return delegated
    raise Forbidden(gettext("This request is not waiting for your decision."), code="not_your_turn")


def _open(request: ApprovalRequest) -> None:
    if request.state != State.PENDING:
        raise Conflict(
            gettext("This request is %(state)s: it takes no more decisions.")
            % {"state": request.get_state_display()},
            fields={"state": request.state},
        )


@transaction.atomic
def approval_decide(
    *,
    request: ApprovalRequest,
    by: User,
    decision: str,
    comment: str = "",
    choices: Mapping[str, Any] | None = None,
) -> ApprovalRequest:
    """Approve, reject (ends the request) or return for changes (back to the requester).
    Rejecting and returning need a comment that says why."""
    comment = (comment or "").strip()
    if decision not in DECISIONS:
        raise ValidationFailed(
            gettext("Unknown decision."),
            fields={"decision": gettext("approve, reject or return")},
        )
    if decision != "approve" and not comment:
        raise ValidationFailed(
            gettext("Say why, for the requester."), fields={"comment": gettext("required: say why")}
        )
    check_storable(ApprovalTask, {"comment": comment})
    now = timezone.now()
    request = _locked(request)
    _open(request)
    task = _my_task(request, by, now)
    state = {"approve": Task.APPROVED, "reject": Task.REJECTED, "return": Task.RETURNED}[decision]
    taken = ApprovalTask.objects.filter(pk=task.pk, state=Task.WAITING).update(
        state=state, decided_by=by, decided_at=now, comment=comment[:500]
    )
    if taken != 1:  # cannot happen under the lock; kept so a decision is never made twice
        raise Conflict(gettext("This was decided already."), fields={"task": str(task.pk)})
    step_name = request.plan[request.step_index]["name"]
    data = {"step": step_name}
    if task.approver_id != by.pk:
        data["for"] = str(task.approver)
    event_record(
        request,
        {"approve": "approved", "reject": "rejected", "return": "returned"}[decision],
        by=by,
        at=now,
        comment=comment,
        data=data,
    )
    if decision == "approve":
        if _step_done(request):
            _next_step(request, by=by, now=now, choices=choices or {})
    else:
        _cancel_waiting(request)
        request.state = State.REJECTED if decision == "reject" else State.RETURNED
        request.closed_at = now if decision == "reject" else None
        request.updated_at = now
        request.save(update_fields=["state", "closed_at", "updated_at"])
        if decision == "reject":
            _kind(request.kind).on_closed(request, by=by)
        _progressed(request)
        title = (
            gettext("Rejected: %(title)s")
            if decision == "reject"
            else gettext("Returned for changes: %(title)s")
        ) % {"title": request.title}
        _tell([request.requester], title, f"{by}: {comment}", request, level="warning")
    return request


def _step_done(request: ApprovalRequest) -> bool:
    """Any-of: one of the flow's approvers approved; all-of: each of them did; and every
    approver added to the step (加签) approved too."""
    tasks = list(
        ApprovalTask.objects.filter(
            request=request, round=request.round, step_index=request.step_index
        ).exclude(state__in=[Task.SKIPPED, Task.CANCELLED])
    )
    added = [task for task in tasks if task.added_by_id]
    own = [task for task in tasks if not task.added_by_id]
    if any(task.state == Task.WAITING for task in added):
        return False
    if request.plan[request.step_index]["mode"] == "all":
        return all(task.state == Task.APPROVED for task in own)
    return any(task.state == Task.APPROVED for task in own)


def _cancel_waiting(request: ApprovalRequest, state: str = Task.CANCELLED) -> None:
    ApprovalTask.objects.filter(request=request, state=Task.WAITING).update(state=state)


def _next_step(request: ApprovalRequest, *, by: User, now: datetime, choices: Mapping[str, Any]):
    _cancel_waiting(request, Task.SKIPPED)  # the others of an any-of step are not needed
    passed = request.plan[request.step_index]["name"]
    last = request.step_index + 1 >= len(request.plan)
    following = None if last else request.plan[request.step_index + 1]["name"]
    event_record(request, "step_passed", by=None, at=now, data={"step": passed, "next": following})
    request.updated_at = now
    if not last:
        request.step_index += 1
        request.save(update_fields=["step_index", "updated_at"])
        _open_step(request, now)
        _progressed(request)
        return
    outcome = _kind(request.kind).on_approved(request, by=by, choices=choices)
    request.state, request.closed_at, request.outcome = State.APPROVED, now, outcome or {}
    request.save(update_fields=["state", "closed_at", "outcome", "updated_at"])
    event_record(request, "completed", by=None, at=now, data={"outcome": request.outcome})
    _tell(
        [request.requester],
        gettext("Approved: %(title)s") % {"title": request.title},
        gettext("Every step approved it."),
        request,
    )


# ----------------------------------------------------------------- the requester


def _mine(request: ApprovalRequest, by: User) -> None:
    if by.pk != request.requester_id:
        raise Forbidden(gettext("Only the requester does this."), code="not_requester")


@transaction.atomic
def approval_withdraw(*, request: ApprovalRequest, by: User, comment: str = "") -> ApprovalRequest:
    now = timezone.now()
    request = _locked(request)
    _mine(request, by)
    if request.state not in (State.PENDING, State.RETURNED):
        raise Conflict(
            gettext("This request is %(state)s: it can no longer be withdrawn.")
            % {"state": request.get_state_display()},
            fields={"state": request.state},
        )
    _cancel_waiting(request)
    request.state, request.closed_at, request.updated_at = State.WITHDRAWN, now, now
    request.save(update_fields=["state", "closed_at", "updated_at"])
    event_record(request, "withdrawn", by=by, at=now, comment=comment.strip()[:500])
    _kind(request.kind).on_closed(request, by=by)
    _progressed(request)
    return request


@transaction.atomic
def approval_resubmit(
    *, request: ApprovalRequest, by: User, reason: str, values: Mapping[str, Any] | None = None
) -> ApprovalRequest:
    """After a return: what is asked is taken again from the subject as it is now, and the
    flow starts over from its first step."""
    reason = _checked_reason(reason)
    now = timezone.now()
    request = _locked(request)
    _mine(request, by)
    if request.state != State.RETURNED:
        raise Conflict(
            gettext("Only a request returned for changes is resubmitted."),
            fields={"state": request.state},
        )
    handler = _kind(request.kind)
    subject = request.subject
    request.snapshot = handler.snapshot(subject, values or {})
    request.amount = handler.amount(subject, values or {})
    request.plan = _checked_plan(request.flow, _values(request.snapshot, request.amount))
    request.reason, request.state, request.step_index = reason, State.PENDING, 0
    request.round += 1
    request.updated_at = now
    request.save()
    event_record(
        request,
        "resubmitted",
        by=by,
        at=now,
        comment=reason,
        data={"round": request.round, "steps": [step["name"] for step in request.plan]},
    )
    _open_step(request, now)
    _progressed(request)
    return request


# ----------------------------------------------------------------- 加签 and 抄送


@transaction.atomic
def approval_approver_add(
    *, request: ApprovalRequest, by: User, user: User, comment: str = ""
) -> ApprovalTask:
    """An approver of the current step asks one more person to approve it too (加签): the
    step passes only once they have."""
    now = timezone.now()
    request = _locked(request)
    _open(request)
    _my_task(request, by, now)
    if user.pk == request.requester_id or not user.is_active:
        raise ValidationFailed(
            gettext("This person cannot be added."),
            fields={"user": gettext("%(user)s is the requester or inactive") % {"user": user}},
        )
    if ApprovalTask.objects.filter(
        request=request,
        round=request.round,
        step_index=request.step_index,
        approver=user,
        state=Task.WAITING,
    ).exists():
        raise Conflict(
            gettext("%(user)s already decides this step.") % {"user": user},
            fields={"user": str(user)},
        )
    [task] = _add_tasks(
        request,
        [user],
        now=now,
        hours=request.plan[request.step_index]["deadline_hours"],
        added_by=by,
    )
    step = request.plan[request.step_index]["name"]
    event_record(
        request,
        "approver_added",
        by=by,
        at=now,
        comment=comment.strip()[:500],
        data={"step": step, "user": str(user)},
    )
    return task


def _copy(
    request: ApprovalRequest, users: Iterable[User], *, by: User, now: datetime
) -> list[User]:
    added = []
    for user in users:
        if user.pk == request.requester_id:
            continue
        _, created = CarbonCopy.objects.get_or_create(
            request=request, user=user, defaults={"by": by, "at": now}
        )
        if created:
            added.append(user)
    if added:
        event_record(
            request, "copied", by=by, at=now, data={"users": [str(user) for user in added]}
        )
        _tell(
            added,
            gettext("For your information: %(title)s") % {"title": request.title},
            gettext("%(user)s copied you in on this request.") % {"user": by},
            request,
        )
    return added


@transaction.atomic
def approval_copy(*, request: ApprovalRequest, by: User, users: Iterable[User]) -> list[User]:
    """The requester or an approver copies people in (抄送): told, and may read it."""
    involved = (
        by.pk == request.requester_id
        or request.tasks.filter(Q(approver=by) | Q(decided_by=by)).exists()
    )
    if not involved:
        raise Forbidden(gettext("Only the requester or an approver copies people in."))
    return _copy(request, users, by=by, now=timezone.now())


# ----------------------------------------------------------------- delegation


@transaction.atomic
def delegation_set(
    *,
    user: User,
    delegate: User | None,
    starts_on: date | None,
    ends_on: date | None,
    reason: str = "",
) -> Delegation:
    """While `user` is away, `delegate` decides what waits for them (休假代理)."""
    errors = {}
    if delegate is None or not delegate.is_active:
        errors["delegate"] = gettext("choose an active colleague")
    elif delegate.pk == user.pk:
        errors["delegate"] = gettext("choose someone else than yourself")
    if starts_on is None:
        errors["starts_on"] = gettext("required: the first day away")
    if ends_on is None:
        errors["ends_on"] = gettext("required: the last day away")
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = gettext("%(end)s is before %(start)s") % {
            "end": ends_on,
            "start": starts_on,
        }
    elif ends_on < timezone.localdate():
        errors["ends_on"] = gettext("%(end)s is in the past") % {"end": ends_on}
    if errors or delegate is None or starts_on is None or ends_on is None:
        raise ValidationFailed(gettext("The delegation was not saved."), fields=errors)
    reason = reason.strip()[:200]
    check_storable(Delegation, {"reason": reason})
    delegation = Delegation.objects.create(
        user=user,
        delegate=delegate,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        created_at=timezone.now(),
    )
    audit_record(
        actor=user,
        action="delegation.set",
        obj=delegation,
        extra={"delegate": str(delegate), "from": str(starts_on), "until": str(ends_on)},
    )
    notify(
        delegate,
        Message(
            title=gettext("%(user)s asks you to decide their approvals") % {"user": user},
            body=gettext("From %(start)s to %(end)s.") % {"start": starts_on, "end": ends_on},
            url="/approvals/",
        ),
    )
    return delegation


@transaction.atomic
def delegation_end(*, delegation: Delegation, by: User) -> None:
    if delegation.user_id != by.pk:
        raise Forbidden(gettext("Only the person who delegated ends it."))
    Delegation.objects.filter(pk=delegation.pk, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    audit_record(actor=by, action="delegation.end", obj=delegation)
