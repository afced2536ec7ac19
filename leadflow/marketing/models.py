"""Marketing operations (MKT-2, MKT-6): campaigns from plan to evaluation, their tasks and
timeline; the yearly budget by category and department; expense claims with receipts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from leadflow.core.crypto import EncryptedTextField


class ExpenseCategory(models.Model):
    """市场推广费, 销售费用, 客户服务费 …: seeded, edited by administrators."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A marketing campaign (营销活动, MKT-2): its plan, approved through the approvals
    engine, run, then evaluated against its targets."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        AWAITING_APPROVAL = "awaiting", _("Awaiting approval")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", _("Approved")
        RUNNING = "running", _("Running")
        ENDED = "ended", _("Ended")
        EVALUATED = "evaluated", _("Evaluated")
        CANCELLED = "cancelled", _("Cancelled")

    class Objective(models.TextChoices):
        BRAND = "brand", _("Brand awareness")
        LEADS = "leads", _("New leads")
        SALES = "sales", _("Sales")
        RETENTION = "retention", _("Customer retention")
        LAUNCH = "launch", _("Product launch")

    class Form(models.TextChoices):
        EXHIBITION = "exhibition", _("Trade show")
        SEMINAR = "seminar", _("Seminar")
        LIVESTREAM = "livestream", _("Live stream")
        EMAIL = "email", _("Email")
        ADVERTISING = "advertising", _("Advertising")
        PROMOTION = "promotion", _("Promotion")
        OTHER = "other", _("Other")

    # Leads may be attributed to a campaign once it has started (MKT-2), until evaluated.
    ATTRIBUTABLE = (State.RUNNING, State.ENDED)

    name = models.CharField(_("name"), max_length=100, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    objective = models.CharField(
        _("objective"), max_length=10, choices=Objective.choices, default=Objective.LEADS
    )
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    content = models.TextField(_("content"), max_length=4000, blank=True)
    form = models.CharField(_("form"), max_length=12, choices=Form.choices, default=Form.OTHER)
    strategy_product = models.CharField(_("product strategy"), max_length=500, blank=True)
    strategy_price = models.CharField(_("price strategy"), max_length=500, blank=True)
    strategy_channel = models.CharField(_("channel strategy"), max_length=500, blank=True)
    strategy_promotion = models.CharField(_("promotion strategy"), max_length=500, blank=True)
    channel = models.ForeignKey(
        "leads.Channel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("lead channel"),
    )
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("department"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("owner"),
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("staff")
    )
    planned_audience = models.PositiveIntegerField(_("planned audience"), default=0)
    target_participants = models.PositiveIntegerField(_("target participants"), default=0)
    target_leads = models.PositiveIntegerField(_("target new leads"), default=0)
    target_a_leads = models.PositiveIntegerField(_("target grade-A leads"), default=0)
    target_sales = models.DecimalField(
        _("target sales (元)"), default=0, max_digits=14, decimal_places=2
    )
    target_satisfaction = models.DecimalField(
        _("target satisfaction (1–5)"), max_digits=3, decimal_places=2, default=0
    )
    participants = models.PositiveIntegerField(_("participants"), null=True, blank=True)
    satisfaction = models.DecimalField(
        _("satisfaction (1–5)"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    lessons = models.TextField(_("lessons learned"), max_length=4000, blank=True)
    evaluation = models.JSONField(default=dict, blank=True)  # the figures, frozen when evaluated
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class CampaignBudgetLine(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.ForeignKey(ExpenseCategory, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount (元)"), max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "category"], name="campaign_budget_once")
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.amount}"


class CampaignTask(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_tasks",
        verbose_name=_("assignee"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("department"),
    )
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class CampaignEvent(models.Model):
    """The campaign's timeline: its states, its tasks done, progress meeting notes."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20)
    text = models.TextField(blank=True, max_length=4000)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.kind}"


class Budget(models.Model):
    """One version of a year's marketing budget (MKT-6); an approved version replaces the
    one before it, which is kept."""

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
            models.UniqueConstraint(fields=["year", "version"], name="budget_version_once"),
            models.UniqueConstraint(
                fields=["year"],
                condition=models.Q(state="approved"),
                name="budget_one_approved_per_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"


class BudgetLine(models.Model):
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="lines")
    category = models.ForeignKey(ExpenseCategory, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    month = models.PositiveSmallIntegerField(null=True, blank=True)  # None: the whole year
    amount = models.DecimalField(_("amount (元)"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["category", "department", "month"]

    def __str__(self) -> str:
        return f"{self.category} {self.amount}"


class ExpenseClaim(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("In approval")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", _("Approved, to reimburse")
        REIMBURSED = "reimbursed", _("Reimbursed")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    SPENT = (State.APPROVED, State.REIMBURSED)  # what counts against the budget

    claimant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expense_claims"
    )
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    spent_on = models.DateField(_("date"))
    category = models.ForeignKey(
        ExpenseCategory, on_delete=models.PROTECT, related_name="claims", verbose_name=_("category")
    )
    amount = models.DecimalField(_("amount (元)"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500)
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("campaign"),
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["category", "spent_on"], name="claim_category_spent")]

    def __str__(self) -> str:
        return f"{self.claimant_id} {self.amount}"


class ClaimAttachment(models.Model):
    """A receipt (an image or a PDF) kept under the data folder, served only to those who
    may see its claim."""

    claim = models.ForeignKey(ExpenseClaim, on_delete=models.CASCADE, related_name="attachments")
    stored_name = models.CharField(max_length=80)  # a name we made: no path from the upload
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.original_name


class BudgetAlert(models.Model):
    """A category's spend crossed 80 % or 100 % of its budget in a year: told once."""

    year = models.PositiveSmallIntegerField()
    category = models.ForeignKey(ExpenseCategory, on_delete=models.CASCADE, related_name="+")
    threshold = models.PositiveSmallIntegerField()  # percent
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "category", "threshold"], name="budget_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.category_id} {self.threshold}%"


class ResearchPlan(models.Model):
    """A year's market research plan (MKT-3), approved like a campaign plan."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("In approval")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Method(models.TextChoices):
        DESK = "desk", _("Desk research")
        QUESTIONNAIRE = "questionnaire", _("Questionnaire")
        INTERVIEW = "interview", _("Interview")
        OBSERVATION = "observation", _("Field observation")

    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    purpose = models.TextField(_("purpose"), max_length=4000)
    audience = models.CharField(_("audience"), max_length=500, blank=True)
    content = models.TextField(_("content"), max_length=4000, blank=True)
    methods = models.JSONField(_("methods"), default=list)
    schedule = models.CharField(_("schedule"), max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="research_plans"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.title


class Questionnaire(models.Model):
    """Questions asked by a public link or by staff in interviews (MKT-3); a campaign's
    satisfaction comes from the scale questions marked so."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for answers")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), max_length=2000, blank=True)
    key = models.SlugField(max_length=40, unique=True)  # the public link's
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    plan = models.ForeignKey(
        ResearchPlan,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questionnaires",
        verbose_name=_("research plan"),
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questionnaires",
        verbose_name=_("campaign"),
    )
    rate_per_hour = models.PositiveIntegerField(default=20)  # answers per address and hour
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        SCALE = "scale", _("Scale 1–5")
        TEXT = "text", _("Free text")

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    options = models.JSONField(default=list, blank=True)  # the choices' texts
    required = models.BooleanField(_("required"), default=True)
    satisfaction = models.BooleanField(_("counts as satisfaction"), default=False)

    class Meta:
        ordering = ["questionnaire", "position"]

    def __str__(self) -> str:
        return self.text

    @property
    def field_name(self) -> str:
        """The name its answer is posted under (and its errors reported by)."""
        return f"q{self.pk}"


class SurveyResponse(models.Model):
    """One respondent's answers, linked to a lead or a customer when known."""

    class Via(models.TextChoices):
        PUBLIC = "public", _("Public link")
        STAFF = "staff", _("Filled in by staff")

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="responses"
    )
    via = models.CharField(max_length=10, choices=Via.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    respondent = models.CharField(_("respondent"), max_length=60, blank=True)
    contact = EncryptedTextField(_("contact"), blank=True)  # personal data (SEC-2)
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answers = models.JSONField(default=dict)  # {question id: choice index(es), 1–5 or text}
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.questionnaire_id} {self.submitted_at:%Y-%m-%d}"


class ResearchReport(models.Model):
    """The research report (markdown and the summaries) submitted to management."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("In approval")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", _("Accepted by management")
        REJECTED = "rejected", _("Rejected")

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="reports"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("report (Markdown)"), max_length=20000)
    summaries = models.JSONField(default=list)  # frozen when submitted
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title
