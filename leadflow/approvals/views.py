"""The approval pages: 我的待办 and the other boxes, one request with its progress line
and its buttons, delegation while away, and the flows for administrators. Each POST
calls one engine function and comes back with its message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from leadflow.accounts.models import Role, User
from leadflow.core.errors import DomainError, ValidationFailed
from leadflow.core.permissions import PERMISSIONS
from leadflow.core.ui import page_of, permission_required, refused_message

from .engine import (
    approval_approver_add,
    approval_copy,
    approval_decide,
    approval_resubmit,
    approval_withdraw,
    delegation_end,
    delegation_set,
)
from .flows import flow_step_delete, flow_step_move, flow_step_save
from .kinds import KIND_LABELS, kind_label, kind_of
from .models import ApprovalRequest, ApprovalTask, Delegation, Flow, FlowStep
from .permissions import APPROVALS_CONFIGURE
from .queries import progress, request_for, timeline, waiting_tasks

BOXES = {
    "todo": _("Waiting for me"),
    "mine": _("I asked"),
    "copied": _("Copied to me"),
    "done": _("Decided by me"),
}
# How a snapshot's values are named on the request page (every kind's keys).
SNAPSHOT_LABELS = {
    "lead": _("Lead"),
    "name": _("Name"),
    "owner": _("Owner"),
    "grade": _("Grade"),
    "customer": _("Customer"),
    "days": _("Days of access"),
    "amount": _("Amount"),
    "campaign": _("Campaign"),
    "objective": _("objective"),
    "form": _("Form"),
    "theme": _("theme"),
    "dates": _("Dates"),
    "place": _("place"),
    "budget": _("Budget (元)"),
    "targets": _("Target"),
    "participants": _("Participants"),
    "leads": _("New leads"),
    "a_leads": _("Grade-A leads"),
    "sales": _("Sales (元)"),
    "satisfaction": _("Satisfaction (1–5)"),
    "year": _("year"),
    "version": _("Version"),
    "lines": _("Budget lines"),
    "category": _("Category"),
    "department": _("Department"),
    "month": _("Month"),
    "spent_on": _("date"),
    "receipts": _("receipts"),
    "remaining": _("Budget left when asked (元)"),
    "over_budget": _("over the budget"),
    "title": _("title"),
    "purpose": _("purpose"),
    "audience": _("audience"),
    "methods": _("methods"),
    "schedule": _("schedule"),
    "questionnaire": _("Questionnaire"),
    "contract": _("Contract"),
    "before": _("Before"),
    "after": _("After"),
    "plan": _("Payment plan"),
    "payment_terms": _("payment terms"),
    "starts_on": _("starts"),
    "ends_on": _("ends"),
    "delivery_on": _("delivery"),
}
ANSWERS = {"yes": _("yes"), "no": _("no")}


def _shown(value) -> str:
    """A snapshot value as a person reads it: nested figures named, never raw codes."""
    if isinstance(value, dict):
        return "；".join(f"{SNAPSHOT_LABELS.get(k, k)} {_shown(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(_shown(item) for item in value)
    if value is None or value == "":
        return "—"
    return str(ANSWERS.get(value, value)) if isinstance(value, str) else str(value)


def _box(user, box: str):
    if box == "mine":
        return ApprovalRequest.objects.filter(requester=user)
    if box == "copied":
        return ApprovalRequest.objects.filter(copies__user=user)
    if box == "done":
        return ApprovalRequest.objects.filter(tasks__decided_by=user).distinct()
    ids = waiting_tasks(user).values("request_id")
    return ApprovalRequest.objects.filter(pk__in=ids)


@login_required
def approvals_page(request):
    box = request.GET.get("box", "todo")
    if box not in BOXES:
        box = "todo"
    requests = _box(request.user, box).select_related("requester").order_by("-updated_at", "-id")
    page = page_of(request, requests, per_page=30)
    waiting: dict[int, ApprovalTask] = {}
    if box == "todo":  # the deadline each of mine is due by
        for task in waiting_tasks(request.user).filter(request__in=list(page.object_list)):
            waiting.setdefault(task.request_id, task)
    rows = [
        {"request": item, "kind": kind_label(item.kind), "task": waiting.get(item.pk)}
        for item in page.object_list
    ]
    return render(
        request,
        "approvals/list.html",
        {"box": box, "boxes": BOXES, "rows": rows, "page": page, "now": timezone.now()},
    )


def _visible(request, approval_id: int) -> ApprovalRequest:
    found = request_for(request.user, approval_id)
    if found is None:
        raise Http404
    return found


@login_required
def approval_page(request, approval_id: int):
    approval = _visible(request, approval_id)
    user = request.user
    my_task = (
        waiting_tasks(user).filter(request=approval, step_index=approval.step_index).first()
        if approval.state == ApprovalRequest.State.PENDING
        else None
    )
    kind = kind_of(approval.kind)
    last_step = approval.step_index + 1 >= len(approval.plan)
    choices = kind.choices(approval.subject, user) if (kind and my_task and last_step) else []
    involved = (
        user.pk == approval.requester_id
        or approval.tasks.filter(Q(approver=user) | Q(decided_by=user)).exists()
    )
    colleagues = User.objects.filter(is_active=True).exclude(pk=approval.requester_id)
    return render(
        request,
        "approvals/detail.html",
        {
            "approval": approval,
            "kind": kind_label(approval.kind),
            "subject_url": kind.url(approval.subject) if kind and approval.subject else "",
            "snapshot": [
                (SNAPSHOT_LABELS.get(name, name), value)
                for name, value in approval.snapshot.items()
            ],
            "steps": progress(approval),
            "history": timeline(approval),
            "my_task": my_task,
            "choices": choices,
            "is_requester": user.pk == approval.requester_id,
            "may_copy": involved,
            "colleagues": colleagues.order_by("username"),
            "copied": [copy.user for copy in approval.copies.select_related("user")],
        },
    )


def _act(request, approval_id: int, act, done: str):
    approval = _visible(request, approval_id)
    try:
        act(approval)
    except DomainError as error:
        refused_message(request, error)
    else:
        messages.success(request, done)
    return redirect("approval", approval_id)


@require_POST
@login_required
def approval_decide_view(request, approval_id: int):
    decision = request.POST.get("decision", "")
    choices = {
        name[len("choice_") :]: value
        for name, value in request.POST.items()
        if name.startswith("choice_")
    }
    done = {
        "approve": gettext("Approved."),
        "reject": gettext("Rejected."),
        "return": gettext("Returned to the requester."),
    }.get(decision, gettext("Saved."))
    return _act(
        request,
        approval_id,
        lambda approval: approval_decide(
            request=approval,
            by=request.user,
            decision=decision,
            comment=request.POST.get("comment", ""),
            choices=choices,
        ),
        done,
    )


@require_POST
@login_required
def approval_withdraw_view(request, approval_id: int):
    return _act(
        request,
        approval_id,
        lambda approval: approval_withdraw(
            request=approval, by=request.user, comment=request.POST.get("comment", "")
        ),
        gettext("Withdrawn."),
    )


@require_POST
@login_required
def approval_resubmit_view(request, approval_id: int):
    return _act(
        request,
        approval_id,
        lambda approval: approval_resubmit(
            request=approval, by=request.user, reason=request.POST.get("reason", "")
        ),
        gettext("Resubmitted: the flow starts again from its first step."),
    )


def _picked_users(request, name: str) -> list[User]:
    ids = [value for value in request.POST.getlist(name) if value.isdigit()]
    return list(User.objects.filter(pk__in=ids, is_active=True))


@require_POST
@login_required
def approval_add_view(request, approval_id: int):
    def add(approval):
        picked = _picked_users(request, "user")
        if not picked:
            raise ValidationFailed(
                gettext("Choose who should approve too."), fields={"user": gettext("required")}
            )
        approval_approver_add(
            request=approval,
            by=request.user,
            user=picked[0],
            comment=request.POST.get("comment", ""),
        )

    return _act(request, approval_id, add, gettext("Added: the step waits for them too."))


@require_POST
@login_required
def approval_copy_view(request, approval_id: int):
    return _act(
        request,
        approval_id,
        lambda approval: approval_copy(
            request=approval, by=request.user, users=_picked_users(request, "users")
        ),
        gettext("They were told and may read it."),
    )


@login_required
def delegation_page(request):
    user = request.user
    if request.method == "POST" and "end" in request.POST:
        delegation = get_object_or_404(Delegation, pk=request.POST.get("end"), user=user)
        delegation_end(delegation=delegation, by=user)
        messages.success(request, gettext("Ended."))
        return redirect("approval_delegation")
    if request.method == "POST":
        try:
            delegation_set(
                user=user,
                delegate=User.objects.filter(pk=request.POST.get("delegate") or 0).first(),
                starts_on=parse_date(request.POST.get("starts_on", "") or ""),
                ends_on=parse_date(request.POST.get("ends_on", "") or ""),
                reason=request.POST.get("reason", ""),
            )
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(
                request, gettext("Saved: your delegate decides for you in these days.")
            )
        return redirect("approval_delegation")
    today = timezone.localdate()
    return render(
        request,
        "approvals/delegation.html",
        {
            "mine": Delegation.objects.filter(user=user, ended_at__isnull=True, ends_on__gte=today)
            .select_related("delegate")
            .order_by("starts_on"),
            "for_others": Delegation.objects.filter(
                delegate=user, ended_at__isnull=True, ends_on__gte=today
            ).select_related("user"),
            "colleagues": User.objects.filter(is_active=True)
            .exclude(pk=user.pk)
            .order_by("username"),
            "today": today,
        },
    )


@permission_required(APPROVALS_CONFIGURE)
def flows_page(request):
    flows = Flow.objects.prefetch_related("steps").order_by("id")
    return render(
        request,
        "approvals/flows.html",
        {"flows": [(flow, kind_label(flow.kind)) for flow in flows]},
    )


def _step_values(request) -> dict:
    post = request.POST
    return {
        "name": post.get("name", ""),
        "approver": post.get("approver", ""),
        "role": Role.objects.filter(pk=post.get("role") or 0).first(),
        "user": User.objects.filter(pk=post.get("user") or 0, is_active=True).first(),
        "permission": post.get("permission", ""),
        "mode": post.get("mode", ""),
        "condition_field": post.get("condition_field", ""),
        "condition_operator": post.get("condition_operator", ""),
        "condition_value": post.get("condition_value", ""),
        "deadline_hours": post.get("deadline_hours", ""),
    }


@permission_required(APPROVALS_CONFIGURE)
def flow_page(request, flow_id: int):
    flow = get_object_or_404(Flow, pk=flow_id)
    if request.method == "POST":
        step = flow.steps.filter(pk=request.POST.get("step") or 0).first()
        action = request.POST.get("action", "save")
        try:
            if action == "delete" and step is not None:
                flow_step_delete(step=step, by=request.user)
            elif action in ("up", "down") and step is not None:
                flow_step_move(step=step, up=action == "up", by=request.user)
            else:
                flow_step_save(flow=flow, values=_step_values(request), by=request.user, step=step)
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Saved. Requests already running keep their steps."))
        return redirect("approval_flow", flow.pk)
    return render(
        request,
        "approvals/flow.html",
        {
            "flow": flow,
            "kind": kind_label(flow.kind),
            "steps": flow.steps.select_related("role", "user").order_by("position"),
            "approvers": FlowStep.Approver.choices,
            "modes": FlowStep.Mode.choices,
            "operators": FlowStep.Operator.choices,
            "roles": Role.objects.order_by("id"),
            "users": User.objects.filter(is_active=True).order_by("username"),
            "permissions": sorted((code, str(label)) for code, label in PERMISSIONS.items()),
            "fields": [
                ("amount", gettext("Amount (元)")),
                ("over_budget", gettext("Over its budget (yes / no)")),
            ],
            "known_kinds": KIND_LABELS,
        },
    )
