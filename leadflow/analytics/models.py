"""Staff performance (MKT-7): the monthly figures of each rep, scored by a scheme that is
data, ranked, awarded, and frozen when the month closes; and the scheduled reports."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PerformanceMeasure(models.Model):
    """One line of the scoring scheme: a measure, its weight, and what it is scored
    against (the rep's monthly sales target, or a fixed figure)."""

    class TargetFrom(models.TextChoices):
        TARGETS = "targets", _("The rep's monthly target")
        FIXED = "fixed", _("A fixed figure")

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    weight = models.PositiveSmallIntegerField(_("weight"))
    target_from = models.CharField(max_length=10, choices=TargetFrom.choices)
    target = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    cap_percent = models.PositiveSmallIntegerField(default=120)  # no more credit above this
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class MonthResult(models.Model):
    month = models.DateField()  # the first day
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    figures = models.JSONField(default=dict)  # {measure: actual}
    points = models.JSONField(default=dict)  # {measure: points, or None without a target}
    adjustments = models.JSONField(default=dict)  # {measure: change to a closed month}
    score = models.DecimalField(max_digits=8, decimal_places=2)
    rank = models.PositiveIntegerField()  # in the company: 1, 1, 3 for a tie
    team_rank = models.PositiveIntegerField(null=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "rank", "user_id"]
        constraints = [models.UniqueConstraint(fields=["month", "user"], name="month_result_once")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.user_id} {self.score}"


class MonthClose(models.Model):
    month = models.DateField(unique=True)
    closed_at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class Award(models.Model):
    class Kind(models.TextChoices):
        SALES_CHAMPION = "champion", _("Sales champion (销售冠军)")
        BEST_NEWCOMER = "newcomer", _("Best newcomer (最佳新人)")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Not given")

    month = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month", "kind"]
        constraints = [models.UniqueConstraint(fields=["month", "kind", "user"], name="award_once")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.kind} {self.user_id}"


class ReportSubscription(models.Model):
    """A person's standing order for a report by email (#26): weekly on Monday morning or
    monthly on the 1st, an XLSX of the report's tables over the period just ended, read
    within their own data scope when it is made."""

    class Report(models.TextChoices):
        LEADS = "leads", _("Lead analytics")
        CUSTOMERS = "customers", _("Customer analytics")
        MARKETING = "marketing", _("Marketing analytics")
        COCKPIT = "cockpit", _("Management cockpit")

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly (Monday, the week before)")
        MONTHLY = "monthly", _("Monthly (the 1st, the month before)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    report = models.CharField(_("report"), max_length=12, choices=Report.choices)
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices)
    next_send_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["report", "frequency"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "report", "frequency"], name="report_subscription_once"
            )
        ]
        indexes = [models.Index(fields=["next_send_at"], name="report_subscription_due")]

    def __str__(self) -> str:
        return f"{self.user} {self.report} {self.frequency}"
