from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Deal(models.Model):
    """A sale to a customer with its amount and date (LEAD-CNV-1). A deal won from a lead
    keeps how long the lead took (created → won) for analysis (LEAD-CNV-2)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="deals"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deals"
    )
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    signed_on = models.DateField(_("signed on"))
    source = models.CharField(_("source"), max_length=40, blank=True)  # e.g. "lead G20260302001"
    opened_at = models.DateTimeField(_("opened at"))  # the lead's capture, or the deal's entry
    won_at = models.DateTimeField(_("won at"))
    cycle_days = models.DecimalField(_("cycle (days)"), max_digits=8, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_on", "-id"]
        indexes = [
            models.Index(fields=["owner", "-signed_on"], name="deal_owner_recent"),
            # Customer analytics (ANA-4): who bought in a period, read from the index alone.
            models.Index(fields=["signed_on", "customer"], name="deal_signed"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.amount}"


class ContractNumberSequence(models.Model):
    """The last sequence handed out per contract-number prefix ("HT-20261130-")."""

    prefix = models.CharField(max_length=40, primary_key=True)
    last = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.prefix}:{self.last}"


class ClauseTemplate(models.Model):
    """Standard liability clauses a contract may start from (seeded, editable)."""

    name = models.CharField(_("name"), max_length=100)
    text = models.TextField(_("clause"), max_length=4000)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Contract(models.Model):
    """A contract (MKT-5): drafted from a deal or for a customer, reviewed by legal and
    approved before signing; a signed one changes only through an approved change."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LEGAL_REVIEW = "legal", _("Legal review")
        APPROVAL = "approval", _("In approval")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", _("Approved, to sign")
        SIGNED = "signed", _("Signed")
        PERFORMING = "performing", _("In performance")
        COMPLETED = "completed", _("Completed")
        TERMINATED = "terminated", _("Terminated")
        CANCELLED = "cancelled", _("Cancelled")

    EDITABLE = (State.DRAFT, State.RETURNED)
    IN_FORCE = (State.SIGNED, State.PERFORMING, State.COMPLETED)

    number = models.CharField(_("number"), max_length=40, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="contracts"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts"
    )
    title = models.CharField(_("title"), max_length=200)
    service = models.TextField(_("service content"), max_length=8000)
    amount = models.DecimalField(_("amount (元)"), max_digits=14, decimal_places=2)
    # What delivering it costs the company (internal, never printed): profit = amount − cost.
    cost = models.DecimalField(
        _("cost (元)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    payment_terms = models.TextField(_("payment terms"), max_length=4000, blank=True)
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    delivery_on = models.DateField(_("delivery"), null=True, blank=True)
    clauses = models.TextField(_("liability clauses"), max_length=8000, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    version = models.PositiveSmallIntegerField(default=1)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contracts"
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def profit(self) -> Decimal | None:
        return None if self.cost is None else self.amount - self.cost


class ContractVersion(models.Model):
    """What a signed contract said, version by version (MKT-5): kept, never rewritten."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField()
    values = models.JSONField()
    reason = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["contract", "version"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "version"], name="contract_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} v{self.version}"


class ContractChange(models.Model):
    """A change (amount, terms, dates, plan) or an early termination, through its own
    approval; applied as a new version once approved."""

    class Kind(models.TextChoices):
        CHANGE = "change", _("Change")
        TERMINATION = "termination", _("Early termination")

    class State(models.TextChoices):
        PENDING = "pending", _("In approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    values = models.JSONField(default=dict, blank=True)  # the proposed fields and plan
    reason = models.CharField(_("reason"), max_length=500)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.kind}"


class Instalment(models.Model):
    """One due payment of a contract's plan (回款计划)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="instalments")
    position = models.PositiveSmallIntegerField()
    due_on = models.DateField(_("due"))
    amount = models.DecimalField(_("amount (元)"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "position"]

    def __str__(self) -> str:
        return f"{self.contract_id}#{self.position} {self.amount}"


class Receipt(models.Model):
    """Money received on a contract (回款), recorded by finance."""

    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        ACCEPTANCE = "acceptance", _("Bank acceptance bill")
        CHEQUE = "cheque", _("Cheque")
        CASH = "cash", _("Cash")
        OTHER = "other", _("Other")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="receipts")
    instalment = models.ForeignKey(
        Instalment, null=True, blank=True, on_delete=models.SET_NULL, related_name="receipts"
    )
    received_on = models.DateField(_("received on"))
    amount = models.DecimalField(_("amount (元)"), max_digits=14, decimal_places=2)
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["received_on"], name="receipt_received")]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.amount}"


class TargetPlan(models.Model):
    """One version of a year's sales targets (MKT-4): approved before it counts; a change
    after approval is a new version, the old one kept."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("In approval")
        APPROVED = "approved", _("Approved")
        SUPERSEDED = "superseded", _("Replaced by a later version")
        REJECTED = "rejected", _("Rejected")

    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="target_plan_version_once"),
            models.UniqueConstraint(
                fields=["year"],
                condition=models.Q(state="approved"),
                name="target_plan_one_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"


class Target(models.Model):
    """A figure to reach: a measure, for the company, a department, a team or a rep, over
    the year, a quarter (1-4) or a month (1-12)."""

    class Measure(models.TextChoices):
        SALES = "sales", _("Sales signed (元)")
        RECEIVED = "received", _("Amount received (元)")
        PROFIT = "profit", _("Profit (元)")
        NEW_CUSTOMERS = "new_customers", _("New customers")
        SATISFACTION = "satisfaction", _("Customer satisfaction (1–5)")

    class Period(models.TextChoices):
        YEAR = "year", _("Year")
        QUARTER = "quarter", _("Quarter")
        MONTH = "month", _("Month")

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="targets")
    measure = models.CharField(max_length=16, choices=Measure.choices)
    # Who: none of the three is the company; else the one department, team or rep.
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period = models.CharField(max_length=8, choices=Period.choices)
    index = models.PositiveSmallIntegerField(default=0)  # the quarter or month; 0 the year
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["plan", "measure", "period", "index"]
        indexes = [models.Index(fields=["plan", "measure"], name="target_plan_measure")]

    def __str__(self) -> str:
        return f"{self.measure} {self.period}{self.index} {self.amount}"
