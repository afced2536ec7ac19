from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from leadflow.core.crypto import EncryptedTextField


class Platform(models.TextChoices):
    WECOM = "wecom", _("WeCom (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk (钉钉)")
    FEISHU = "feishu", _("Feishu (飞书)")


class Robot(models.Model):
    """A group-chat robot webhook that a team's notifications are posted to."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="robots")
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    name = models.CharField(_("name"), max_length=60)
    webhook_url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"


class Notification(models.Model):
    """One in-app message for one user: the bell."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    level = models.CharField(max_length=10, default="info")
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """An email or robot message to send: the outbox and, once sent or given up on, the
    delivery log. Rows are written in the transaction of the change that causes them, so
    a rolled-back change sends nothing and a committed one is never forgotten."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        ROBOT = "robot", _("Robot webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Encrypted at rest (SEC-2): some are customers' addresses (a survey, a reply).
    address = EncryptedTextField(blank=True)
    robot = models.ForeignKey(Robot, null=True, blank=True, on_delete=models.SET_NULL)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The worker whose lease the claim lasts for (core.worker); "" outside a worker.
    claimed_by = models.CharField(max_length=80, blank=True)
    # An email's Message-ID, the same on every attempt: a message sent again after a crash
    # is recognisably the same message, not a new one.
    message_id = models.CharField(max_length=200, blank=True)
    # An email's one attachment (a scheduled report's XLSX), sent with it.
    attachment = models.BinaryField(null=True, blank=True)
    attachment_name = models.CharField(max_length=120, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["robot", "claimed_at"], name="delivery_robot_window"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.subject} ({self.status})"
