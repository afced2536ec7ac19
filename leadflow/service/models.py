"""Customer service (SVC-1…4): tickets (inquiries and complaints) with their steps, the
deadlines that run on them, their attachments, improvement items grouping complaints of
one root cause, and satisfaction surveys."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from leadflow.core.crypto import EncryptedTextField, LookupHashField


class ListEntry(models.Model):
    """An entry of a list service picks from: named, in order, switched off not deleted."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class TicketCategory(ListEntry):
    """What a ticket is about (product, service attitude, delivery, billing …): data."""


class RootCause(ListEntry):
    """Why a complaint happened, as the analysis found (问题分析): data."""


class Improvement(models.Model):
    """An improvement item (改进措施 → 跟踪): complaints of one root cause grouped, with an
    owner, a due date and what was done."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    title = models.CharField(_("title"), max_length=200)
    root_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT, related_name="+")
    action = models.TextField(_("corrective action"), max_length=4000)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due"))
    state = models.CharField(max_length=6, choices=State.choices, default=State.OPEN)
    result = models.TextField(_("result"), max_length=4000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["state", "due_on", "id"]

    def __str__(self) -> str:
        return self.title


class Ticket(models.Model):
    class Kind(models.TextChoices):
        INQUIRY = "inquiry", _("Inquiry")
        COMPLAINT = "complaint", _("Complaint")

    class Source(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        CHAT = "chat", _("Online chat")
        VISIT = "visit", _("Visit")
        FORM = "form", _("Service form")
        API = "api", _("API")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        CONTACTED = "contacted", _("Contacted")
        ASSIGNED = "assigned", _("Assigned")
        PROPOSED = "proposed", _("Solution proposed")
        ACCEPTED = "accepted", _("Solution accepted")
        REVISITED = "revisited", _("Revisited")
        WAITING = "waiting", _("Waiting on the customer")
        CLOSED = "closed", _("Closed")

    OPEN = (
        State.RECEIVED,
        State.CONTACTED,
        State.ASSIGNED,
        State.PROPOSED,
        State.ACCEPTED,
        State.REVISITED,
        State.WAITING,
    )

    number = models.CharField(_("number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=6, choices=Source.choices)
    severity = models.CharField(
        _("severity"), max_length=6, choices=Severity.choices, default=Severity.NORMAL
    )
    category = models.ForeignKey(
        TicketCategory, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    subject = models.CharField(_("subject"), max_length=200)
    content = models.TextField(_("content"), max_length=8000)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    # An unknown person's contact, kept to match them later (SEC-2: encrypted, hashed).
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    contact_phone = EncryptedTextField(_("phone"), blank=True)
    contact_phone_hash = LookupHashField(of="contact_phone")
    contact_email = EncryptedTextField(_("email"), blank=True)
    contact_email_hash = LookupHashField(of="contact_email")
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVED)
    waiting_reason = models.CharField(max_length=200, blank=True)
    resume_state = models.CharField(max_length=10, blank=True)  # where waiting returns to
    department = models.ForeignKey(  # the responsible department
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(  # the responsible person
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets_assigned",
    )
    received_by = models.ForeignKey(  # the agent who took it in; none from the form or API
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets_received",
    )
    solution = models.TextField(_("solution"), max_length=8000, blank=True)
    root_cause = models.ForeignKey(
        RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    root_cause_text = models.TextField(_("root cause"), max_length=4000, blank=True)
    corrective_action = models.TextField(_("corrective action"), max_length=4000, blank=True)
    improvement = models.ForeignKey(
        Improvement, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    reopened = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField()
    contacted_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revisited_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["state", "received_at"], name="ticket_state_received"),
            models.Index(fields=["customer", "state"], name="ticket_customer_state"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN


class TicketStep(models.Model):
    """One step of a ticket: who, when, what was said (SVC-1)."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Received")
        CONTACTED = "contacted", _("Contacted the customer")
        ASSIGNED = "assigned", _("Assigned")
        PROPOSED = "proposed", _("Proposed a solution")
        ACCEPTED = "accepted", _("The customer accepted the solution")
        REJECTED = "rejected", _("The customer rejected the solution")
        WAITING = "waiting", _("Waiting on the customer")
        RESUMED = "resumed", _("Resumed")
        REVISITED = "revisited", _("Revisited")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        NOTE = "note", _("Note")
        MISSED = "missed", _("Deadline missed")
        SURVEYED = "surveyed", _("Survey answered")
        MATCHED = "matched", _("Matched to a customer")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class TicketClock(models.Model):
    """One deadline of a ticket, on the working calendar (SVC-2): first contact (or an
    inquiry's response), solution, revisit; a rejected solution or a reopen starts a new
    one beside the old, which keeps how it ended. `stage`: 0 running, 1 reminded, 2 missed
    (the head told), 3 met. A miss is never erased: `missed_at` stays when it is met late.
    While the ticket waits on the customer the clock is paused (`paused_at`); on resume
    its deadline moves by the working time it was paused."""

    class Kind(models.TextChoices):
        CONTACT = "contact", _("First contact")
        RESPONSE = "response", _("Response")
        SOLUTION = "solution", _("Solution")
        REVISIT = "revisit", _("Revisit")

    RUNNING, REMINDED, MISSED, MET = 0, 1, 2, 3

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    started_at = models.DateTimeField()
    remind_at = models.DateTimeField()
    due_at = models.DateTimeField()
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_total = models.DurationField(default=timedelta(0))  # working time spent paused
    met_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)
    stage = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["started_at", "id"]
        # With the stage first, a sweep that finds nothing new reads nothing.
        indexes = [
            models.Index(fields=["stage", "remind_at"], name="ticket_clock_remind"),
            models.Index(fields=["stage", "due_at"], name="ticket_clock_due"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def on_time(self) -> bool | None:
        """None while it runs; then whether it was met without a miss."""
        if self.met_at is None:
            return None if self.missed_at is None else False
        return self.missed_at is None


class TicketAttachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    original_name = models.CharField(max_length=200)
    stored_name = models.CharField(max_length=40)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class Survey(models.Model):
    """A satisfaction survey sent to a customer (SVC-4), after a ticket closes or
    periodically; answered once through a signed, expiring link."""

    class Reason(models.TextChoices):
        TICKET = "ticket", _("After a ticket")
        PERIODIC = "periodic", _("Periodic")

    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="surveys",
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="surveys"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    nonce = models.CharField(max_length=32, unique=True)
    sent_at = models.DateTimeField()
    sent_via = models.CharField(max_length=40, blank=True)  # "email", "robot", "" (not sent)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["customer", "sent_at"], name="survey_customer_sent")]

    def __str__(self) -> str:
        return f"{self.pk} {self.reason}"


class TicketNumberSequence(models.Model):
    """The last sequence handed out per ticket-number prefix ("SV-20261130-")."""

    prefix = models.CharField(max_length=40, primary_key=True)
    last = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.prefix}{self.last}"
