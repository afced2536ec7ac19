"""Staff accounts: create, change, deactivate, reset passwords."""

import re
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from email_validator import EmailNotValidError, validate_email

from leadflow.core.audit import audit_record, changed_fields, snapshot
from leadflow.core.errors import Conflict, ValidationFailed

from .models import Department, Role, Team, User

USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{2,150}$")
MOBILE = re.compile(r"^\+?[0-9][0-9 -]{6,19}$")
PROFILE_FIELDS = ["display_name", "email", "mobile", "department", "team", "role", "is_active"]


def new_password() -> str:
    """A random password for a new or reset account, shown once to the administrator."""
    return secrets.token_urlsafe(12)


def _check_profile(
    *, email: str, mobile: str, department: Department | None, team: Team | None
) -> tuple[str, Department | None]:
    errors: dict[str, str] = {}
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            errors["email"] = str(error)
    if mobile and not MOBILE.match(mobile):
        errors["mobile"] = f"{mobile!r} is not a phone number"
    if team is not None:
        if department is None:
            department = team.department
        elif team.department_id != department.pk:
            errors["team"] = f"{team} belongs to {team.department}, not {department}"
    if errors:
        raise ValidationFailed(gettext("Please correct the marked fields."), fields=errors)
    return email, department


@transaction.atomic
def user_create(
    *,
    by: User | None,
    username: str,
    display_name: str,
    role: Role,
    department: Department | None = None,
    team: Team | None = None,
    email: str = "",
    mobile: str = "",
    password: str | None = None,
) -> tuple[User, str]:
    """A new account and its initial password (generated unless given)."""
    username = username.strip()
    if not USERNAME.match(username):
        raise ValidationFailed(
            gettext("The username may hold letters, digits and . _ @ + - only."),
            fields={"username": gettext("%(value)r is not a valid username") % {"value": username}},
        )
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(
            gettext("This username is taken."), fields={"username": f"{username} exists"}
        )
    email, department = _check_profile(email=email, mobile=mobile, department=department, team=team)
    password = password or new_password()
    user = User(
        username=username,
        display_name=display_name.strip(),
        email=email,
        mobile=mobile.strip(),
        department=department,
        team=team,
        role=role,
    )
    user.set_password(password)
    user.save()
    audit_record(
        actor=by,
        action="user.create",
        obj=user,
        changes=changed_fields({}, snapshot(user, PROFILE_FIELDS)),
    )
    return user, password


@transaction.atomic
def user_update(
    *,
    by: User,
    user: User,
    display_name: str,
    role: Role,
    department: Department | None,
    team: Team | None,
    email: str = "",
    mobile: str = "",
    is_active: bool = True,
) -> User:
    email, department = _check_profile(email=email, mobile=mobile, department=department, team=team)
    if user.pk == by.pk and not is_active:
        raise ValidationFailed(
            gettext("You cannot deactivate your own account."), fields={"is_active": "own account"}
        )
    before = snapshot(user, PROFILE_FIELDS)
    user.display_name, user.email, user.mobile = display_name.strip(), email, mobile.strip()
    user.department, user.team, user.role, user.is_active = department, team, role, is_active
    user.save()
    changes = changed_fields(before, snapshot(user, PROFILE_FIELDS))
    if changes:
        audit_record(actor=by, action="user.update", obj=user, changes=changes)
    return user


@transaction.atomic
def user_reset_password(*, by: User, user: User) -> str:
    password = new_password()
    user.set_password(password)
    user.failed_login_count, user.locked_until = 0, None
    user.save(update_fields=["password", "failed_login_count", "locked_until"])
    audit_record(actor=by, action="user.reset_password", obj=user)
    return password


@transaction.atomic
def password_change(*, user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise ValidationFailed(
            gettext("The current password is wrong."), fields={"current": "does not match"}
        )
    try:
        validate_password(new, user)
    except ValidationError as error:
        raise ValidationFailed(
            gettext("The new password is not strong enough."),
            fields={"new": " ".join(error.messages)},
        ) from error
    user.set_password(new)
    user.save(update_fields=["password"])
    audit_record(actor=user, action="user.change_password", obj=user)
