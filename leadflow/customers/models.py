from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leadflow.core.crypto import EncryptedTextField, LookupHashField


class Level(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Customer(models.Model):
    """A company or person the company sells to (CUS-1). Created by converting a won lead
    or directly; a company is one customer however many leads it came through: the
    normalised name and the credit code are unique."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        INDIVIDUAL = "individual", _("Individual")

    class Category(models.TextChoices):
        POTENTIAL = "potential", _("Potential")
        INTENT = "intent", _("Intentional")
        CLOSED = "closed", _("Closed deal")
        KEY = "key", _("Key account")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    name_key = models.CharField(max_length=200, blank=True, editable=False)  # company only
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    industry = models.CharField(_("industry"), max_length=60, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    address = EncryptedTextField(_("address"), blank=True)  # SEC-2
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=60, blank=True)
    business_scope = models.TextField(_("business scope"), blank=True)
    needs = models.TextField(_("needs"), blank=True)
    # What the grade is made of (CUS-3): expected sales in 万元 a year, and three judgements.
    expected_annual_sales = models.DecimalField(
        _("expected annual sales (10k yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    purchase_frequency = models.PositiveSmallIntegerField(_("orders a year"), null=True, blank=True)
    purchasing_power = models.CharField(
        _("purchasing power"), max_length=6, choices=Level.choices, blank=True
    )
    potential = models.CharField(_("potential"), max_length=6, choices=Level.choices, blank=True)
    intent = models.CharField(_("intent"), max_length=6, choices=Level.choices, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1-5)"), null=True, blank=True)
    suggestions = models.TextField(_("suggestions"), blank=True)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    grade = models.CharField(_("grade"), max_length=1, blank=True)
    # Contact cadence (CUS-5): when the owner last spoke to the customer, when they must
    # next, and whether the sweep has reminded them of it.
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    next_contact_due = models.DateTimeField(_("next contact due"), null=True, blank=True)
    contact_reminded = models.BooleanField(default=False)
    grade_reviewed_at = models.DateTimeField(null=True, blank=True)  # last periodic review
    data_reviewed_at = models.DateTimeField(null=True, blank=True)  # last monthly data review
    # Early warning (CUS-7): why the customer may be lost, since when; when last checked.
    risk_reasons = models.JSONField(default=list, blank=True)
    risk_since = models.DateTimeField(null=True, blank=True)
    risk_checked_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "next_contact_due"], name="customer_owner_due"),
            # New customers in a period, per owner (targets, the cockpit, ANA-4).
            models.Index(fields=["created_at", "owner"], name="customer_created"),
            # The cadence sweep's question; with the flag first, nothing new reads nothing.
            models.Index(fields=["contact_reminded", "next_contact_due"], name="customer_due"),
            models.Index(fields=["grade_reviewed_at"], name="customer_review_due"),
            models.Index(fields=["risk_checked_at"], name="customer_risk_due"),
            models.Index(
                fields=["-risk_since"],
                name="customer_at_risk",
                condition=Q(risk_since__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["name_key"],
                name="customer_company_name_unique",
                condition=Q(kind="company") & ~Q(name_key=""),
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                name="customer_credit_code_unique",
                condition=~Q(credit_code=""),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person at the customer, with their role (CUS-1)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=60)
    title = models.CharField(_("title"), max_length=60, blank=True)
    role = models.CharField(_("role"), max_length=60, blank=True)
    # Encrypted at rest (SEC-2); found and deduplicated by their keyed hashes.
    mobile = EncryptedTextField(_("mobile"), blank=True)
    mobile_hash = LookupHashField(of="mobile")
    landline = EncryptedTextField(_("landline"), blank=True)
    email = EncryptedTextField(_("email"), blank=True)
    email_hash = LookupHashField(of="email")
    primary = models.BooleanField(_("primary contact"), default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-primary", "id"]

    def __str__(self) -> str:
        return self.name


class CustomerEvent(models.Model):
    """The customer's own timeline: created, joined by a converted lead, changed."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="customer_event_recent")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind}"


class Interaction(models.Model):
    """One contact with the customer (CUS-5): when, how, what was said. The record keeps
    when it was written."""

    class Method(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        VISIT = "visit", _("Visit")
        WECHAT = "wechat", _("WeChat")
        MEETING = "meeting", _("Meeting")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("contact time"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    summary = models.TextField(_("what the customer said"))
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="interaction_recent")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.at:%Y-%m-%d}"


class GradeProposal(models.Model):
    """A periodic review's proposal to change a customer's grade (CUS-3), from what the
    customer actually bought; the owner confirms or rejects it."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="grade_proposals")
    current_grade = models.CharField(max_length=1, blank=True)
    proposed_grade = models.CharField(max_length=1, blank=True)
    changes = models.JSONField(default=dict)  # the profile values it would set
    evidence = models.JSONField(default=dict)  # what the review saw
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(state="pending"),
                name="grade_proposal_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.current_grade}→{self.proposed_grade}"


class TeamMember(models.Model):
    """A member of a key account's team besides its owner, with their role (CUS-6)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_teams"
    )
    role = models.CharField(_("role"), max_length=60)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "user"], name="team_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role}"


class Share(models.Model):
    """A customer shared with another rep (CUS-6): who shared it, with whom, what they may
    do, until when; kept after it ends."""

    class Rights(models.TextChoices):
        VIEW = "view", _("View")
        EDIT = "edit", _("View and edit")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="shares")
    shared_with = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_shares"
    )
    rights = models.CharField(_("rights"), max_length=4, choices=Rights.choices)
    until = models.DateTimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["shared_with", "customer"], name="share_with")]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.shared_with_id} ({self.rights})"


class CustomerImport(models.Model):
    """A customer file imported in the background, with its progress and errors."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file_name = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    existing = models.PositiveIntegerField(default=0)  # refused: the customer exists already
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name
