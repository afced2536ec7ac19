from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Setting(models.Model):
    """A company setting changed from its default. Defaults live in the registry
    (`leadflow.core.company_settings`); a row exists only once an admin changes one."""

    key = models.CharField(max_length=100, primary_key=True)
    value = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}"


class CompanyHoliday(models.Model):
    """A company override of the statutory calendar: a day off, or a make-up working day.

    Each November the State Council publishes next year's holidays; an admin enters them
    here when the `holidays` package does not know the year yet, or the company differs.
    """

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Day off")
        WORKING_DAY = "working_day", _("Working day")

    date = models.DateField(unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.kind} {self.name}"


class AuditLog(models.Model):
    """Append-only record of who changed or viewed what (SEC-3).

    Rows are only ever inserted; database triggers refuse UPDATE and DELETE.
    """

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"


class RateCounter(models.Model):
    """Hits per key and window (a form per IP per hour, …): one upsert per hit."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="rate_counter_window")
        ]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start:%Y-%m-%d %H:%M}: {self.hits}"


class WorkerHeartbeat(models.Model):
    """Each running worker process writes here every few seconds; /healthz reads it."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    # The task queue as this worker saw it at its last beat, for the cheap /healthz: a
    # load balancer's poll reads one small table instead of counting the queue.
    pending_tasks = models.PositiveIntegerField(default=0)
    oldest_pending_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.hostname} (pid {self.pid})"


class PeriodicSlot(models.Model):
    """One row per periodic job and minute: whichever worker inserts it first runs the job,
    so several workers never run the same minute's sweep twice."""

    job = models.CharField(max_length=60)
    slot = models.DateTimeField()
    claimed_by = models.CharField(max_length=64)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="periodic_slot_once")]
        indexes = [models.Index(fields=["job", "-slot"])]

    def __str__(self) -> str:
        return f"{self.job} {self.slot:%Y-%m-%d %H:%M}"


class SavedView(models.Model):
    """我的视图: a person's named filter, sort and columns of a list, one click away."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    page = models.CharField(max_length=30)  # which list: "leads", "customers" …
    name = models.CharField(_("name"), max_length=40)
    query = models.CharField(max_length=1000)  # the list's query string, without paging
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "page", "name"], name="saved_view_name_once")
        ]

    def __str__(self) -> str:
        return self.name
