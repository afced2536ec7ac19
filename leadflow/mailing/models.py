"""Email (AUT-3): templates, one-off sends to a filtered list (群发), each message with its
own id and tracking token, the suppression list (unsubscribes and hard bounces), and the
events each message gets (delivered, opened, clicked, unsubscribed, bounced)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from leadflow.core.crypto import EncryptedTextField, LookupHashField


class EmailTemplate(models.Model):
    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        SALES = "sales", _("Sales follow-up")

    name = models.CharField(_("name"), max_length=100, unique=True)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING
    )
    subject = models.CharField(_("subject"), max_length=200)
    html = models.TextField(_("HTML body"), max_length=100_000)
    text = models.TextField(_("plain-text body"), max_length=50_000)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name


class EmailSend(models.Model):
    """A one-off email to a filtered list of leads (群发), with its own progress."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    template = models.ForeignKey(EmailTemplate, on_delete=models.PROTECT, related_name="sends")
    name = models.CharField(_("name"), max_length=200)
    audience = models.JSONField(default=dict)  # the filter that chose the list, as given
    campaign = models.ForeignKey(
        "marketing.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    chosen = models.PositiveIntegerField(default=0)  # leads the filter found
    skipped = models.JSONField(default=dict)  # {reason: count}: no consent, suppressed, capped …
    # An A/B test (AUT-4): the other variants' templates (A is `template`), the share of
    # the list that gets the test, what wins, when it is decided, and what was decided.
    variants = models.JSONField(default=list)  # template ids of B, C, D
    test_share = models.PositiveSmallIntegerField(default=0)  # percent; 0: no test
    metric = models.CharField(max_length=6, default="click")  # "click" or "open"
    significance = models.DecimalField(max_digits=4, decimal_places=3, default=0.05)
    min_sample = models.PositiveIntegerField(default=200)
    decide_at = models.DateTimeField(null=True, blank=True)
    decision = models.JSONField(default=dict)  # outcome, winner, comparisons
    decided_at = models.DateTimeField(null=True, blank=True)
    held = models.PositiveIntegerField(default=0)  # leads waiting for the winner
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class EmailMessage(models.Model):
    """One email to one person: what was sent, to whom (encrypted, hashed), and what
    became of it. `token` is the random part of its tracking and unsubscribe links."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        SOFT_BOUNCE = "soft", _("Deferred")
        BOUNCED = "bounced", _("Bounced")
        FAILED = "failed", _("Failed")

    send = models.ForeignKey(
        EmailSend, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    template = models.ForeignKey(  # none for an email a rep wrote
        EmailTemplate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(max_length=10, choices=EmailTemplate.Purpose.choices)
    # What made it, when not a send: a journey's step run ("j12.5.s1.12.0"); one message
    # per source, so a step retried after a crash queues nothing twice.
    source = models.CharField(max_length=80, blank=True)
    by = models.ForeignKey(  # the rep who wrote it
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = EncryptedTextField()
    address_hash = LookupHashField(of="address")
    subject = models.CharField(max_length=250)
    html = models.TextField()
    text = models.TextField()
    message_id = models.CharField(max_length=200, unique=True)
    token = models.CharField(max_length=32, unique=True)
    variant = models.PositiveSmallIntegerField(default=0)  # 0 = A (the control), 1 = B …
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    opens = models.PositiveIntegerField(default=0)  # by people; machine opens apart
    machine_opens = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"], condition=~models.Q(source=""), name="email_one_per_source"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="email_outbox"),
            models.Index(fields=["address_hash", "created_at"], name="email_address_recent"),
        ]

    def __str__(self) -> str:
        return self.message_id


class Suppression(models.Model):
    """An address no marketing email goes to: unsubscribed (link, one-click, by hand) or
    bounced hard; kept with when and how (PIPL: the person's choice is remembered)."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Hard bounces")
        COMPLAINED = "complained", _("Marked as spam")

    address_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    source = models.CharField(max_length=40)  # "link", "one-click", "by hand", "smtp" …
    message = models.ForeignKey(
        EmailMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.reason} {self.at:%Y-%m-%d}"


class EmailEvent(models.Model):
    """Something that happened to a message: the journeys' triggers and the score rules
    read these."""

    class Kind(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        OPENED = "opened", _("Opened")
        CLICKED = "clicked", _("Clicked")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")

    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    machine = models.BooleanField(default=False)  # a privacy prefetch or a scanner
    url = models.URLField(max_length=2000, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["message", "kind"], name="email_event_message")]

    def __str__(self) -> str:
        return f"{self.message_id} {self.kind}"
