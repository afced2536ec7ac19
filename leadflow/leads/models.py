from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.core.crypto import EncryptedTextField, LookupHashField


class Channel(models.Model):
    """Where leads come from (LEAD-CAP-1). Seeded with the policy's twelve channels."""

    class Kind(models.TextChoices):
        ONLINE = "online", _("Online")
        OFFLINE = "offline", _("Offline")

    code = models.CharField(_("code"), max_length=1, unique=True)
    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    requires_verification = models.BooleanField(
        _("sales support verifies new leads"), default=False
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class LeadStatus(models.TextChoices):
    TO_VERIFY = "to_verify", _("To verify")
    TO_ASSIGN = "to_assign", _("To assign")
    NON_TARGET = "non_target", _("Non-target")
    MERGED = "merged", _("Merged")
    ASSIGNED = "assigned", _("Awaiting acceptance")
    ACCEPTED = "accepted", _("Accepted")
    NURTURE = "nurture", _("Nurture pool")
    POOL = "pool", _("Public pool")


class Stage(models.TextChoices):
    """Where an accepted lead stands (LEAD-STS-1)."""

    INITIAL = "initial", _("Initial contact")
    NEEDS = "needs", _("Needs clear")
    COMPARING = "comparing", _("Comparing offers")
    NEGOTIATING = "negotiating", _("Negotiating")
    WON = "won", _("Won")
    INVALID = "invalid", _("Invalid")
    PAUSED = "paused", _("Paused")
    LOST = "lost", _("Lost")


# The way forward; the others (invalid, paused, lost) may be reached from any of these.
MAIN_PATH = (Stage.INITIAL, Stage.NEEDS, Stage.COMPARING, Stage.NEGOTIATING, Stage.WON)
CLOSED = (Stage.WON, Stage.INVALID, Stage.LOST, Stage.PAUSED)  # no follow-up deadlines


class Priority(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Lead(models.Model):
    """One capture of a prospective customer, from any way in.

    The row is its own capture record: channel, time, consent and the values as captured.
    A capture that turns out to be a known lead is kept too, with status `merged` and
    `merged_into` pointing at the surviving lead; a lead's sources are itself and the
    leads merged into it (LEAD-CLN-2).
    """

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        INDIVIDUAL = "individual", _("Individual")

    number = models.CharField(_("lead number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("customer name"), max_length=200)
    company_key = models.CharField(max_length=200, blank=True, editable=False)
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    contact_title = models.CharField(_("contact title"), max_length=60, blank=True)
    # Personal data, encrypted at rest (SEC-2); found and deduplicated by keyed hashes.
    mobile = EncryptedTextField(_("mobile"), blank=True)
    mobile_hash = LookupHashField(of="mobile", db_index=False)
    landline = EncryptedTextField(_("landline"), blank=True)
    landline_hash = LookupHashField(of="landline", db_index=False)
    email = EncryptedTextField(_("email"), blank=True)
    email_hash = LookupHashField(of="email", db_index=False)
    industry = models.CharField(_("industry"), max_length=60)
    need = models.TextField(_("initial need"))
    region = models.CharField(_("region"), max_length=100, blank=True)
    address = EncryptedTextField(_("address"), blank=True)  # SEC-2
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue = models.CharField(_("annual revenue"), max_length=60, blank=True)
    budget = models.CharField(_("budget"), max_length=60, blank=True)
    purchase_timeline = models.CharField(_("purchase timeline"), max_length=60, blank=True)
    current_supplier = models.CharField(_("current supplier"), max_length=100, blank=True)

    # Foreign keys get no index of their own: the composite and partial indexes in Meta
    # cover the look-ups, and every index costs time on a million-row import.
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="leads", db_index=False
    )
    channel_detail = models.CharField(_("channel detail"), max_length=100, blank=True)
    campaign = models.ForeignKey(
        "marketing.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,
    )
    acquired_at = models.DateTimeField(_("acquired at"))
    # When the profile values were last taken from a capture: a merge takes a capture's
    # values only if it is at least this recent ("the newest non-empty values").
    values_at = models.DateTimeField()

    # Consent (LEAD-CAP-5, PIPL): how the person was told the purpose and agreed, or the
    # lawful basis an import states for the whole file.
    consent_notice_version = models.CharField(max_length=40, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_channel = models.CharField(max_length=40, blank=True)
    lawful_basis = models.CharField(max_length=200)

    status = models.CharField(_("status"), max_length=12, choices=LeadStatus.choices)
    non_target_reason = models.CharField(max_length=200, blank=True)
    score = models.IntegerField(_("score"), default=0)
    grade = models.CharField(_("grade"), max_length=1, blank=True)
    # Follows the grade (A high, B medium, C low) unless a person set it with a reason.
    priority = models.CharField(_("priority"), max_length=6, choices=Priority.choices, blank=True)
    priority_reason = models.CharField(_("priority reason"), max_length=200, blank=True)
    # Assignment (LEAD-ASN): when the owner got it, by when they must accept, when they did;
    # for a lead nobody could take, why (shown while it waits in 待分配).
    assigned_at = models.DateTimeField(null=True, blank=True)
    accept_by = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    waiting_reason = models.CharField(max_length=200, blank=True)
    # Follow-up (LEAD-FUP): the next deadline (first contact, then the cadence), for the
    # lists; the sweep works on its copy in FollowUpDue (see there).
    next_due_at = models.DateTimeField(null=True, blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    last_followup_at = models.DateTimeField(null=True, blank=True)
    # Stage (LEAD-STS): set from acceptance on; a won lead carries its deal.
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, blank=True)
    stage_reason = models.CharField(_("stage reason"), max_length=200, blank=True)
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    # The furthest stage along 初步接触 → 成交 the lead ever reached, for the funnel (ANA-2):
    # a lead lost in 商务谈判 still counts as having got that far.
    furthest_stage = models.CharField(max_length=12, choices=Stage.choices, blank=True)
    deal_amount = models.DecimalField(
        _("deal amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    deal_date = models.DateField(_("deal date"), null=True, blank=True)
    # Conversion (LEAD-CNV): the customer a won lead became or joined, and its deal.
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # One lead per deal: a partial unique index (see Meta), so the many leads without a
    # deal add nothing to it.
    deal = models.ForeignKey(
        "sales.Deal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Public pool (LEAD-FUP-4): when the lead goes back to the pool unless its owner works
    # it (no follow-up for N days, or not won M days after acceptance); warned K days before.
    pool_due_at = models.DateTimeField(null=True, blank=True)
    pool_warned = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_leads",
        db_index=False,
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_leads",
        db_index=False,
    )
    captured_via = models.CharField(max_length=10)  # ui | api | form | import
    import_batch = models.ForeignKey(
        "ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-id"], name="lead_status_recent"),
            # The lead list sorted by score, a page at a time (keyset on score, id).
            models.Index(fields=["score", "id"], name="lead_by_score"),
            models.Index(
                fields=["owner", "-id"], name="lead_owner_recent", condition=Q(owner__isnull=False)
            ),
            models.Index(
                fields=["merged_into"],
                name="lead_merged_into",
                condition=Q(merged_into__isnull=False),
            ),
            # Dedupe look-ups (LEAD-CLN-2). Not unique: an administrator may undo a merge
            # and keep two leads that share a phone; captures are serialised instead
            # (see leads.locks).
            models.Index(fields=["mobile_hash"], name="lead_mobile"),
            models.Index(fields=["email_hash"], name="lead_email"),
            models.Index(fields=["landline_hash"], name="lead_landline"),
            models.Index(fields=["company_key"], name="lead_company_key"),
            # The sweep's question: which assigned leads are past their accept deadline?
            models.Index(
                fields=["accept_by"], name="lead_accept_due", condition=Q(status="assigned")
            ),
            models.Index(
                fields=["owner", "next_due_at"],
                name="lead_owner_due",
                condition=Q(status="accepted"),
            ),
            # The pool sweep's questions: which owned leads are due back, or due a warning?
            models.Index(
                fields=["customer"], name="lead_customer", condition=Q(customer__isnull=False)
            ),
            # The funnel and conversion figures (ANA-2) read only this: the leads someone
            # worked, by acquisition date. Imported leads join it when accepted, so the bulk
            # import never writes to it.
            models.Index(
                fields=["acquired_at", "channel", "furthest_stage", "owner", "status"],
                name="lead_worked",
                condition=~Q(furthest_stage=""),
            ),
            # Lead analytics by acquisition date (ANA-1, ANA-5, the cockpit): channel, grade,
            # stage, owner (the scope) and status read from the index alone.
            models.Index(
                fields=["acquired_at", "channel", "grade", "stage", "owner", "status", "campaign"],
                name="lead_acquired",
            ),
            models.Index(
                fields=["pool_warned", "pool_due_at"],
                name="lead_pool_due",
                condition=Q(status="accepted"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["deal"], name="lead_deal_once", condition=Q(deal__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def status_words(self) -> str:
        """ "L… 已接受": why a step was refused, as a field's reason."""
        return gettext("%(number)s is %(status)s") % {
            "number": self.number,
            "status": self.get_status_display(),
        }


class LeadEvent(models.Model):
    """One step in a lead's timeline: who did what, when (DESIGN: one fact, recorded once).

    A lead's capture is its own row; events record everything that happens after."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="lead_event_timeline")]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.kind}"


class LeadMerge(models.Model):
    """A merge of one lead into another, with what it changed on the survivor, so an
    administrator can undo it."""

    survivor = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="merges_in")
    merged = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="merges_out")
    survivor_before = models.JSONField(default=dict)
    survivor_after = models.JSONField(default=dict)
    merged_status = models.CharField(max_length=12)
    reason = models.CharField(max_length=100)  # which key matched
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


class LeadNumberSequence(models.Model):
    """The last daily sequence handed out per channel code and day ("G20231028")."""

    prefix = models.CharField(max_length=12, primary_key=True)
    last = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.prefix}:{self.last}"


class NonTargetRule(models.Model):
    """Marks a lead non-target when a field equals or contains a value (LEAD-CLN-3)."""

    class Field(models.TextChoices):
        INDUSTRY = "industry", _("Industry")
        NEED = "need", _("Need")
        NAME = "name", _("Customer name")
        CONTACT_TITLE = "contact_title", _("Contact title")

    class Match(models.TextChoices):
        EQUALS = "equals", _("equals")
        CONTAINS = "contains", _("contains")

    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    match = models.CharField(_("match"), max_length=10, choices=Match.choices)
    value = models.CharField(_("value"), max_length=100)
    reason = models.CharField(_("reason"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.field} {self.match} {self.value}"


class ScoreRule(models.Model):
    """Points for a lead (LEAD-SCR-1): for a value of one of its fields (company fit) or
    for events recorded on it (behaviour, interaction)."""

    class Dimension(models.TextChoices):
        FIT = "fit", _("Company fit")
        BEHAVIOUR = "behaviour", _("Behaviour")
        INTERACTION = "interaction", _("Interaction")

    class Field(models.TextChoices):
        INDUSTRY = "industry", _("Industry")
        EMPLOYEES = "employees", _("Employees")
        REGION = "region", _("Region")
        BUDGET = "budget", _("Budget")
        PURCHASE_TIMELINE = "purchase_timeline", _("Purchase timeline")
        NEED = "need", _("Need")
        KIND = "kind", _("Kind")

    class Operator(models.TextChoices):
        EQUALS = "equals", _("equals")
        ONE_OF = "one_of", _("is one of (comma-separated)")
        CONTAINS = "contains", _("contains")
        AT_LEAST = "at_least", _("at least")

    class Event(models.TextChoices):
        DOWNLOADED_MATERIAL = "downloaded_material", _("Downloaded core material")
        WEBINAR_QUESTION = "webinar_question", _("Asked a question at a webinar")
        EMAIL_OPENED = "email_opened", _("Opened a marketing email")
        EMAIL_CLICKED = "email_clicked", _("Clicked a link in a marketing email")
        CONSULTED_SALES = "consulted_sales", _("Consulted a sales rep")
        VISITED_PRICING = "visited_pricing", _("Visited the pricing page")

    name = models.CharField(_("name"), max_length=100)
    dimension = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices)
    # A field rule names field, operator and value; an event rule names event and how
    # many times it must have happened.
    field = models.CharField(_("field"), max_length=20, choices=Field.choices, blank=True)
    operator = models.CharField(_("operator"), max_length=10, choices=Operator.choices, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
    event = models.CharField(_("event"), max_length=30, choices=Event.choices, blank=True)
    min_count = models.PositiveIntegerField(_("times"), default=1)
    points = models.IntegerField(_("points"))
    repeatable = models.BooleanField(
        _("repeatable"), default=False, help_text=_("count every time, not once per lead")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.points:+d})"


class AssignmentProfile(models.Model):
    """What a rep or a team takes (LEAD-ASN-1): regions, industries, priorities."""

    regions = models.CharField(
        _("regions"),
        max_length=500,
        blank=True,
        help_text=_("provinces or cities, comma-separated"),
    )
    industries = models.CharField(
        _("industries"), max_length=500, blank=True, help_text=_("comma-separated")
    )
    priorities = models.CharField(
        _("priorities"),
        max_length=30,
        blank=True,
        help_text=_("high, medium, low: the priorities taken; empty for any"),
    )

    class Meta:
        abstract = True


class RepProfile(AssignmentProfile):
    """A rep's assignment profile (LEAD-ASN-1, -2): what they take, how many open leads at
    most, and whether they are available (not on leave)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rep_profile"
    )
    capacity = models.PositiveIntegerField(_("capacity (open leads)"), default=50)
    available = models.BooleanField(_("available"), default=True)

    class Meta:
        ordering = ["user_id"]

    def __str__(self) -> str:
        return str(self.user)


class TeamProfile(AssignmentProfile):
    """What a team takes: its reps take it where their own profile leaves a list empty."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="assignment_profile"
    )

    def __str__(self) -> str:
        return str(self.team)


class LeadAssignment(models.Model):
    """One change of a lead's owner (LEAD-ASN-3…6, LEAD-FUP-4): every one is kept, the
    returns to the public pool and the claims from it too (the ownership log)."""

    class Kind(models.TextChoices):
        AUTO = "auto", _("By the rules")
        MANUAL = "manual", _("By a manager")
        DECLINED = "declined", _("After a decline")
        TIMEOUT = "timeout", _("Not accepted in time")
        REQUEST = "request", _("On the rep's request")
        CLAIMED = "claimed", _("Claimed from the public pool")
        RETURNED = "returned", _("Returned to the public pool")
        SELF = "self", _("Self-sourced: entered by the rep")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assignments")
    rep = models.ForeignKey(  # nobody when the lead went back to the pool
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_assignments",
    )
    previous = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=200, blank=True)
    match = models.JSONField(default=dict, blank=True)  # the weighted match that chose the rep
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["rep", "at"], name="assignment_rep_recent")]

    def __str__(self) -> str:
        return f"{self.lead_id} → {self.rep_id}"


class FollowUp(models.Model):
    """One contact with the customer (LEAD-FUP-2), and when it was written down."""

    class Method(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        VISIT = "visit", _("Visit")
        WECHAT = "wechat", _("WeChat")
        MEETING = "meeting", _("Meeting")

    class Intent(models.TextChoices):
        UP = "up", _("Stronger")
        SAME = "same", _("Unchanged")
        DOWN = "down", _("Weaker")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="followups")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    contact_at = models.DateTimeField(_("contact time"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    feedback = models.TextField(_("what the customer said"))
    intent = models.CharField(
        _("intent"), max_length=6, choices=Intent.choices, default=Intent.SAME
    )
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    written_at = models.DateTimeField()
    late = models.BooleanField(default=False)  # written more than the allowed time after

    class Meta:
        ordering = ["-contact_at", "-id"]
        indexes = [models.Index(fields=["lead", "contact_at"], name="followup_lead_time")]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.method} {self.contact_at:%Y-%m-%d}"


class FollowUpDue(models.Model):
    """The follow-up deadline of an accepted lead, as the minute sweep sees it: one narrow
    row per lead that has one, written with `Lead.next_due_at` by `followup.write_deadlines`
    only. `overdue_stage` says how far its lapse has gone (0 on time, 1 rep reminded, 2
    manager told), so no sweep tells anyone twice. Kept apart from the lead because the
    sweep marks thousands of rows at once: on PostgreSQL each lead row it touched would
    rewrite a dozen index entries, a row here two."""

    lead = models.OneToOneField(Lead, primary_key=True, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    due_at = models.DateTimeField()
    first_contact = models.BooleanField()  # the first contact, not the cadence
    overdue_stage = models.PositiveSmallIntegerField(default=0)
    # The sweep that moved it to its stage (its moment): the lapses it records and the
    # reminders it sends read the rows it moved, without carrying them through Python.
    staged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # With the stage first, a sweep that finds nothing new reads nothing.
        indexes = [models.Index(fields=["overdue_stage", "due_at"], name="followup_due_sweep")]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.due_at}"


class FunnelTally(models.Model):
    """How many live leads of one acquisition month, channel and owner got at furthest to
    one stage: the funnel (ANA-2) read from thousands of rows instead of a million leads.

    Written by the database: triggers on the lead table (migration 0023) add a row of -1
    for where a lead stood and +1 for where it stands whenever its furthest stage, owner,
    channel, acquisition month or merger changes, in the same transaction, so the sums are
    exact whatever updates a lead, the sweeps' and the importer's bulk SQL included (a lead
    is born unworked: no trigger on INSERT, see `bulk.funnel_tally`). The triggers only ever
    insert, so no rep's transaction waits on another's over a shared total; the minute
    sweep (`bulk.funnel_tally.fold_funnel_tally`) folds the `fresh` rows of a month into one row
    per key. The month is the UTC month of `acquired_at` (a trigger knows no time zone): a
    period in the company's days reads its whole UTC months here and its edges from the
    leads."""

    month = models.DateField()  # the first day of the UTC month
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+", db_index=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    furthest_stage = models.CharField(max_length=12, choices=Stage.choices)
    leads = models.IntegerField()  # a change (+1, -1) or, once compacted, a month's sum
    fresh = models.BooleanField(default=True)  # written by a trigger, not yet compacted

    class Meta:
        indexes = [
            models.Index(fields=["month"], name="funnel_tally_month"),
            models.Index(fields=["month"], name="funnel_tally_fresh", condition=Q(fresh=True)),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.channel_id} {self.owner_id} {self.furthest_stage}"


class FollowUpLapse(models.Model):
    """A deadline a rep missed (跟进监督, LEAD-FUP-3): counted per rep for supervision."""

    class Kind(models.TextChoices):
        FIRST_CONTACT = "first", _("First contact")
        FOLLOW_UP = "cadence", _("Follow-up")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="lapses")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    due_at = models.DateTimeField()
    noticed_at = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_at"]
        indexes = [models.Index(fields=["rep", "due_at"], name="lapse_rep_due")]

    def __str__(self) -> str:
        return f"{self.rep_id} {self.kind} {self.due_at:%Y-%m-%d %H:%M}"


class ImportBatch(models.Model):
    """One uploaded or command-line import, its progress and its error report."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    file_name = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500, blank=True)
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.PROTECT)
    lawful_basis = models.CharField(max_length=200)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    non_target = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # last progress reported
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.file_name


class LeadTag(models.Model):
    """A label on a lead (待培育, 展会VIP …), put by a person or a journey; a journey may
    start when one is added (its timeline event, `tagged`)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("tag"), max_length=30)
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["lead", "name"], name="lead_tag_once")]
        indexes = [models.Index(fields=["name"], name="lead_tag_name")]

    def __str__(self) -> str:
        return self.name


class WebForm(models.Model):
    """A public form a company website embeds or posts to (LEAD-CAP-2)."""

    key = models.SlugField(_("form key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT)
    channel_detail = models.CharField(_("channel detail"), max_length=100, blank=True)
    campaign = models.ForeignKey(
        "marketing.Campaign", null=True, blank=True, on_delete=models.SET_NULL
    )
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)
    consent_text = models.TextField(_("consent text"))
    consent_version = models.CharField(_("consent notice version"), max_length=40)
    thank_you = models.TextField(_("thank-you message"), blank=True)
    rate_per_hour = models.PositiveIntegerField(_("submissions per IP per hour"), default=20)
    active = models.BooleanField(_("active"), default=True)

    def __str__(self) -> str:
        return self.name


class WinModel(models.Model):
    """One training of the predictive score (LEAD-SCR-5) on the company's closed leads: its
    hold-out AUC and calibration, the rule review it measured, and the fitted estimator.
    The newest row that trained is the one in use; a refused attempt (too few closed leads)
    is kept too, so the page can say why there is no newer model."""

    trained_at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    won = models.PositiveIntegerField()  # closed leads of each outcome it saw
    not_won = models.PositiveIntegerField()
    minimum = models.PositiveIntegerField()  # per outcome, from the setting at the time
    window_days = models.PositiveSmallIntegerField()
    refused = models.BooleanField(default=False)
    auc = models.FloatField(null=True, blank=True)  # on the hold-out quarter
    calibration = models.JSONField(default=list, blank=True)  # [{predicted, actual, leads}]
    weights = models.JSONField(default=list, blank=True)  # [[feature, coefficient]] largest first
    rule_review = models.JSONField(default=list, blank=True)
    seconds = models.FloatField(default=0)
    estimator = models.BinaryField(null=True, blank=True)  # pickled (vectorizer, model, means)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"v{self.pk} {self.trained_at:%Y-%m-%d}"
