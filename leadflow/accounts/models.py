from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DataScope(models.TextChoices):
    """How far a role's sight reaches (SEC-1)."""

    OWN = "own", _("Own records")
    TEAM = "team", _("Own team")
    DEPARTMENT = "department", _("Own department and below")
    ALL = "all", _("Everything")


class Department(models.Model):
    """A node of the organisation tree (MKT-1). `path` holds the ids from the root
    ("/1/4/9/") so "this department and below" is one indexed prefix match."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    manager = models.ForeignKey(
        "User", null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_departments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="department_name_unique_in_parent"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="teams")
    leader = models.ForeignKey(
        "User", null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["department__path", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "name"], name="team_name_unique_in_department"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A job role with its data scope and permission codes. Seeded with the nine roles of
    the policies; administrators may edit them or add more."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(max_length=60, blank=True)
    scope = models.CharField(_("data scope"), max_length=12, choices=DataScope.choices)
    lead_scope = models.CharField(
        _("lead data scope"), max_length=12, choices=DataScope.choices, default=DataScope.OWN
    )
    customers_masked = models.BooleanField(
        _("sees customers' phones, emails and addresses masked"), default=False
    )
    permissions = models.JSONField(default=list, blank=True)
    is_system = models.BooleanField(default=False, help_text="seeded; cannot be deleted")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def grants(self, code: str) -> bool:
        return "*" in self.permissions or code in self.permissions


class User(AbstractUser):
    display_name = models.CharField(_("full name"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    confidentiality_version = models.CharField(max_length=40, blank=True)
    confidentiality_accepted_at = models.DateTimeField(null=True, blank=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def data_scope(self) -> str:
        if self.is_superuser:
            return DataScope.ALL
        role = self.role
        return role.scope if role is not None else DataScope.OWN

    @property
    def lead_data_scope(self) -> str:
        if self.is_superuser:
            return DataScope.ALL
        role = self.role
        return role.lead_scope if role is not None else DataScope.OWN

    def has_permission(self, code: str) -> bool:
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        role = self.role
        return role is not None and role.grants(code)

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


class ApiToken(models.Model):
    """A personal API token. Only the SHA-256 digest is stored; the token itself is shown
    once, when it is made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
