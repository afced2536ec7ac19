"""Marketing automation (AUT-1, AUT-2): journeys as data — a trigger, rules, and versions
of an ordered list of steps — and each lead's enrolment in one, with every step run kept
under a unique key so a step's side effect happens at most once."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Journey(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")

    class Reentry(models.TextChoices):
        NEVER = "never", _("Never again")
        AFTER = "after", _("After some days")
        ALWAYS = "always", _("Always")

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.DRAFT)
    paused_reason = models.CharField(max_length=300, blank=True)
    # {"kind": "score_up"/"score_down", "threshold": 30} | {"kind": "grade", "to": "A"} |
    # {"kind": "lead_created", "channel": "G"} | {"kind": "form", "form": "官网咨询表单"} |
    # {"kind": "stage", "to": "needs"} | {"kind": "status", "to": "nurture"} |
    # {"kind": "activity", "event": "email_opened"} | {"kind": "manual"}
    trigger = models.JSONField(default=dict)
    entry = models.JSONField(default=dict)  # who may enter: {"grade": "A", "region": "上海"}
    reentry = models.CharField(max_length=8, choices=Reentry.choices, default=Reentry.NEVER)
    reentry_days = models.PositiveSmallIntegerField(default=30)
    goal = models.JSONField(default=dict)  # {"stage": "won"} or {"score": 60}
    # Emails and robot messages wait for working hours on the company calendar (no sends
    # at night, at weekends or on holidays); other steps run when due.
    quiet_hours = models.BooleanField(_("send only in working hours"), default=True)
    daily_cap = models.PositiveIntegerField(  # leads entering per company day; none: no cap
        _("most leads entering a day"), null=True, blank=True
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def current(self) -> "JourneyVersion | None":
        return self.versions.order_by("-number").first()


class JourneyVersion(models.Model):
    """The steps as they were edited: a live journey's edit is a new version; enrolments
    in flight finish on the version they started."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    # [{"id": "s1", "kind": "email", "template": 3}, {"id": "s2", "kind": "wait", "hours": 48},
    #  {"id": "s3", "kind": "branch", "if": {"opened": true}, "yes": "s4", "no": "s5"} …]
    steps = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["journey", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "number"], name="journey_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.journey} v{self.number}"


class Enrollment(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("In the journey")
        CONVERTED = "converted", _("Reached the goal")
        EXITED = "exited", _("Left the journey")
        FINISHED = "finished", _("Finished")
        PARKED = "parked", _("Parked after failures")

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="enrollments")
    version = models.ForeignKey(JourneyVersion, on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    step = models.CharField(max_length=20)  # the id of the step to run next
    due_at = models.DateTimeField()  # when it runs
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    entered_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-entered_at", "-id"]
        indexes = [
            models.Index(fields=["state", "due_at"], name="enrollment_due"),
            models.Index(fields=["journey", "lead"], name="enrollment_journey_lead"),
        ]
        constraints = [  # never in the same journey twice at once, whoever enrols
            models.UniqueConstraint(
                fields=["journey", "lead"],
                condition=models.Q(state="active"),
                name="enrollment_active_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.journey_id}/{self.lead_id} {self.state} {self.step}"


class StepRun(models.Model):
    """One step run for one enrolment: `key` (version, step, enrolment, round) is unique,
    so a step retried after a crash finds its run and does not act twice."""

    class Outcome(models.TextChoices):
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="runs")
    key = models.CharField(max_length=80, unique=True)
    step = models.CharField(max_length=20)
    kind = models.CharField(max_length=12)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    detail = models.JSONField(default=dict)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.key


class TriggerCursor(models.Model):
    """How far the trigger sweep has read the lead timeline and the new leads."""

    name = models.CharField(max_length=20, primary_key=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}:{self.last_id}"
