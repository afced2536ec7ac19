"""Approvals (审批): flows as data, requests that run through them, and every decision.

A Flow belongs to one kind of request and is an ordered list of FlowSteps; a step names
who decides and may apply only when the request's amount or a field says so. A
submitted ApprovalRequest keeps a snapshot of what was asked; each step that becomes
current gives its approvers an ApprovalTask, and every act on the request is an
ApprovalEvent. The subject (a lead, a customer, a campaign …) is a generic link: the
engine never imports the subject's app, which registers a kind (approvals.kinds).
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Flow(models.Model):
    kind = models.CharField(_("kind of request"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class FlowStep(models.Model):
    class Approver(models.TextChoices):
        ROLE = "role", _("Everyone with a role")
        USER = "user", _("A named person")
        REQUESTER_HEAD = "requester_head", _("The requester's department head")
        HEAD_ABOVE = "head_above", _("The head of the department above")
        PERMISSION = "permission", _("Whoever holds a permission and sees the subject")

    class Mode(models.TextChoices):
        ANY = "any", _("Any one of them (或签)")
        ALL = "all", _("All of them (会签)")

    class Operator(models.TextChoices):
        GREATER = "gt", _("greater than")
        AT_LEAST = "gte", _("at least")
        LESS = "lt", _("less than")
        EQUALS = "eq", _("equals")

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("step"), max_length=60)
    approver = models.CharField(_("who decides"), max_length=16, choices=Approver.choices)
    role = models.ForeignKey(
        "accounts.Role", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    permission = models.CharField(_("permission"), max_length=60, blank=True)
    mode = models.CharField(_("how many decide"), max_length=3, choices=Mode.choices, default="any")
    # Applies only when the request's field compares so (e.g. amount > 5000); else always.
    condition_field = models.CharField(_("only when"), max_length=40, blank=True)
    condition_operator = models.CharField(max_length=3, choices=Operator.choices, blank=True)
    condition_value = models.CharField(max_length=60, blank=True)
    deadline_hours = models.PositiveSmallIntegerField(_("deadline (working hours)"), default=8)

    class Meta:
        ordering = ["flow", "position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "position"], name="flow_step_position")
        ]

    def __str__(self) -> str:
        return self.name


class ApprovalRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("In approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned for changes")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    flow = models.ForeignKey(Flow, on_delete=models.PROTECT, related_name="requests")
    kind = models.CharField(max_length=40, db_index=True)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    title = models.CharField(_("title"), max_length=200)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_requests"
    )
    reason = models.CharField(_("reason"), max_length=500)
    # What was asked, as it was when (re)submitted: a later edit of the subject cannot
    # change what was approved.
    snapshot = models.JSONField(default=dict)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # The steps that apply (FlowStep ids, in order, with their names and modes) as of the
    # last submission, and the index of the current one.
    plan = models.JSONField(default=list)
    step_index = models.PositiveSmallIntegerField(default=0)
    round = models.PositiveSmallIntegerField(default=1)  # 1 + times resubmitted
    outcome = models.JSONField(default=dict, blank=True)  # what the subject's app did
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="approval_subject"),
            models.Index(fields=["requester", "-created_at"], name="approval_requester"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def current_step(self) -> dict | None:
        if self.state != self.State.PENDING or self.step_index >= len(self.plan):
            return None
        return self.plan[self.step_index]


class ApprovalTask(models.Model):
    """One approver's part in one step of one round."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned")
        SKIPPED = "skipped", _("Not needed")  # another approver of an any-of step decided
        CANCELLED = "cancelled", _("Cancelled")  # the request was withdrawn or returned

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="tasks")
    round = models.PositiveSmallIntegerField()
    step_index = models.PositiveSmallIntegerField()
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_tasks"
    )
    # Who the approver was added by (加签), when not by the flow.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    due_at = models.DateTimeField()
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(  # the approver, or their delegate (休假代理)
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["request", "round", "step_index", "id"]
        indexes = [
            models.Index(
                fields=["due_at"], name="approval_task_due", condition=models.Q(state="waiting")
            ),
            models.Index(
                fields=["approver"], name="approval_task_todo", condition=models.Q(state="waiting")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.round}/{self.step_index} {self.approver_id}"


class ApprovalEvent(models.Model):
    """Everything that happened to a request, in order: its history."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20)
    comment = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"


class CarbonCopy(models.Model):
    """A person copied in (抄送): told, and may read the request."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="copies")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "user"], name="approval_copy_once")
        ]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.user_id}"


class Delegation(models.Model):
    """While away (休假代理), `delegate` decides what waits for `user`, in these dates."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="delegated_to_me",
        verbose_name=_("delegate"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.delegate_id}"
