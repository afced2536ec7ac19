"""Flows are data (the engine's first rule): which steps apply to a request, who decides
each, and the admin's edits of a flow. Seeded defaults come from migration 0002."""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from leadflow.accounts.models import Department, Role, User
from leadflow.accounts.org import manager_of
from leadflow.core.audit import audit_record
from leadflow.core.errors import ValidationFailed
from leadflow.core.permissions import PERMISSIONS

from .kinds import Kind
from .models import Flow, FlowStep

Approver = FlowStep.Approver


def step_applies(step: FlowStep, values: Mapping[str, Any]) -> bool:
    """Whether the step's condition holds on the request's values (no condition: always)."""
    if not step.condition_field:
        return True
    value = values.get(step.condition_field)
    if value is None or value == "":
        return False
    if step.condition_operator == FlowStep.Operator.EQUALS:
        return str(value) == step.condition_value
    try:
        left, right = Decimal(str(value)), Decimal(step.condition_value)
    except InvalidOperation:
        return False
    if step.condition_operator == FlowStep.Operator.GREATER:
        return left > right
    if step.condition_operator == FlowStep.Operator.AT_LEAST:
        return left >= right
    return step.condition_operator == FlowStep.Operator.LESS and left < right


def plan_for(flow: Flow, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The steps that apply, in order, as the request keeps them."""
    return [
        {
            "step": step.pk,
            "name": step.name,
            "mode": step.mode,
            "deadline_hours": step.deadline_hours,
        }
        for step in flow.steps.select_related("role", "user").order_by("position")
        if step_applies(step, values)
    ]


def step_approvers(step: FlowStep, *, requester: User, subject, kind: Kind) -> list[User]:
    """Who decides this step now; never the requester (nobody decides their own request)."""
    found: list[User] = []
    if step.approver == Approver.ROLE and step.role_id:
        found = list(User.objects.filter(role_id=step.role_id, is_active=True).order_by("id"))
    elif step.approver == Approver.USER and step.user_id:
        found = [step.user] if step.user and step.user.is_active else []
    elif step.approver == Approver.REQUESTER_HEAD:
        head = _department_head(requester.department_id, skip=requester) or manager_of(requester)
        found = [head] if head else []
    elif step.approver == Approver.HEAD_ABOVE:
        department = Department.objects.filter(pk=requester.department_id or 0).first()
        head = _department_head(department.parent_id if department else None, skip=requester)
        found = [head] if head else []
    elif step.approver == Approver.PERMISSION and step.permission:
        found = [
            user
            for user in User.objects.filter(is_active=True)
            .select_related("role", "department")
            .order_by("id")
            if user.role is not None
            and step.permission in user.role.permissions
            and kind.visible_to(subject, user)
        ]
    return [user for user in found if user.pk != requester.pk and user.is_active]


def _department_head(department_id: int | None, *, skip: User) -> User | None:
    """The department's manager, or the nearest one above it; a requester who heads their
    own department is decided by the head above (read afresh: the tree may have changed
    since the requester was loaded)."""
    while department_id is not None:
        department = Department.objects.select_related("manager").filter(pk=department_id).first()
        if department is None:
            return None
        if department.manager_id and department.manager_id != skip.pk:
            return department.manager
        department_id = department.parent_id
    return None


STEP_FIELDS = (
    "name",
    "approver",
    "role",
    "user",
    "permission",
    "mode",
    "condition_field",
    "condition_operator",
    "condition_value",
    "deadline_hours",
)


def _checked_step(values: Mapping[str, Any]) -> dict[str, Any]:
    """The step's values, or ValidationFailed naming each wrong field."""
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = gettext("required: what the step is called, e.g. 法务审核")
    approver = values.get("approver") or ""
    if approver not in Approver.values:
        errors["approver"] = gettext("choose who decides")
    role = values.get("role")
    user = values.get("user")
    permission = str(values.get("permission") or "").strip()
    if approver == Approver.ROLE and not isinstance(role, Role):
        errors["role"] = gettext("choose the role that decides")
    if approver == Approver.USER and not isinstance(user, User):
        errors["user"] = gettext("choose the person who decides")
    if approver == Approver.PERMISSION and permission not in PERMISSIONS:
        errors["permission"] = gettext("choose a permission")
    mode = values.get("mode") or FlowStep.Mode.ANY
    if mode not in FlowStep.Mode.values:
        errors["mode"] = gettext("any one, or all of them")
    field = str(values.get("condition_field") or "").strip()
    operator = values.get("condition_operator") or ""
    value = str(values.get("condition_value") or "").strip()
    if field:
        if operator not in FlowStep.Operator.values:
            errors["condition_operator"] = gettext("choose how to compare")
        elif operator != FlowStep.Operator.EQUALS:
            try:
                Decimal(value)
            except InvalidOperation:
                errors["condition_value"] = gettext("%(value)r is not a number") % {"value": value}
    try:
        hours = int(values.get("deadline_hours") or 0)
    except (TypeError, ValueError):
        hours = 0
    if not 1 <= hours <= 240:
        errors["deadline_hours"] = gettext("between 1 and 240 working hours")
    if errors:
        raise ValidationFailed(gettext("The step was not saved."), fields=errors)
    return {
        "name": name[:60],
        "approver": approver,
        "role": role if approver == Approver.ROLE else None,
        "user": user if approver == Approver.USER else None,
        "permission": permission if approver == Approver.PERMISSION else "",
        "mode": mode,
        "condition_field": field[:40],
        "condition_operator": operator if field else "",
        "condition_value": value[:60] if field else "",
        "deadline_hours": hours,
    }


@transaction.atomic
def flow_step_save(
    *, flow: Flow, values: Mapping[str, Any], by: User, step: FlowStep | None = None
) -> FlowStep:
    """Add a step at the end of the flow, or change one. Requests already running keep the
    plan they were submitted with."""
    clean = _checked_step(values)
    if step is None:
        last = flow.steps.aggregate(last=Max("position"))["last"] or 0
        step = FlowStep.objects.create(flow=flow, position=last + 1, **clean)
        changes = {name: [None, str(value)] for name, value in clean.items() if value}
    else:
        changes = {
            name: [str(getattr(step, name) or ""), str(value or "")]
            for name, value in clean.items()
            if getattr(step, name) != value
        }
        for name, value in clean.items():
            setattr(step, name, value)
        step.save()
    Flow.objects.filter(pk=flow.pk).update(updated_at=timezone.now())
    audit_record(actor=by, action="approvalflow.step_saved", obj=flow, changes=changes)
    return step


@transaction.atomic
def flow_step_delete(*, step: FlowStep, by: User) -> None:
    flow = step.flow
    if flow.steps.count() == 1:
        raise ValidationFailed(
            gettext("A flow needs at least one step."), fields={"step": step.name}
        )
    name, position = step.name, step.position
    step.delete()
    # Each later step moves up into the place just freed, in order.
    for later in flow.steps.filter(position__gt=position).order_by("position"):
        FlowStep.objects.filter(pk=later.pk).update(position=later.position - 1)
    Flow.objects.filter(pk=flow.pk).update(updated_at=timezone.now())
    audit_record(actor=by, action="approvalflow.step_deleted", obj=flow, extra={"step": name})


@transaction.atomic
def flow_step_move(*, step: FlowStep, up: bool, by: User) -> None:
    """Swap the step with its neighbour above or below."""
    steps = list(step.flow.steps.order_by("position"))
    index = steps.index(step)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(steps):
        return
    first, second = steps[index], steps[other]
    FlowStep.objects.filter(pk=first.pk).update(position=10_000)
    FlowStep.objects.filter(pk=second.pk).update(position=first.position)
    FlowStep.objects.filter(pk=first.pk).update(position=second.position)
    Flow.objects.filter(pk=step.flow_id).update(updated_at=timezone.now())
    audit_record(
        actor=by, action="approvalflow.step_moved", obj=step.flow, extra={"step": step.name}
    )
