"""The organisation (MKT-1): departments as a tree, teams inside departments, and roles."""

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext

from leadflow.core.audit import audit_record, changed_fields, snapshot
from leadflow.core.errors import Conflict, ValidationFailed
from leadflow.core.permissions import PERMISSIONS

from .models import DataScope, Department, Role, Team, User


def _required_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(gettext("A name is required."), fields={"name": "must not be empty"})
    if len(name) > 100:
        raise ValidationFailed(
            gettext("The name is too long."), fields={"name": "at most 100 characters"}
        )
    return name


def _set_path(department: Department) -> None:
    parent = department.parent
    prefix = parent.path if parent is not None else "/"
    department.path = f"{prefix}{department.pk}/"


@transaction.atomic
def department_create(
    *, by: User, name: str, parent: Department | None = None, manager: User | None = None
) -> Department:
    name = _required_name(name)
    if Department.objects.filter(parent=parent, name=name).exists():
        raise Conflict(
            gettext("A department with this name already exists here."),
            fields={"name": gettext("%(name)s exists") % {"name": name}},
        )
    department = Department.objects.create(name=name, parent=parent, manager=manager, path="")
    _set_path(department)
    department.save(update_fields=["path"])
    audit_record(
        actor=by,
        action="department.create",
        obj=department,
        changes={"name": [None, name], "parent": [None, str(parent or "")]},
    )
    return department


@transaction.atomic
def department_update(
    *,
    by: User,
    department: Department,
    name: str,
    parent: Department | None,
    manager: User | None,
) -> Department:
    name = _required_name(name)
    if parent is not None and parent.path.startswith(department.path):
        raise ValidationFailed(
            gettext("A department cannot be moved under itself or one of its sub-departments."),
            fields={
                "parent": gettext("%(parent)s is inside %(department)s")
                % {"parent": parent, "department": department}
            },
        )
    if Department.objects.filter(parent=parent, name=name).exclude(pk=department.pk).exists():
        raise Conflict(
            gettext("A department with this name already exists here."),
            fields={"name": gettext("%(name)s exists") % {"name": name}},
        )
    fields = ["name", "parent", "manager"]
    before = snapshot(department, fields)
    old_path = department.path
    department.name, department.parent, department.manager = name, parent, manager
    _set_path(department)
    department.save()
    if department.path != old_path:
        # Re-root every descendant's path in the same transaction.
        for child in Department.objects.filter(path__startswith=old_path).exclude(pk=department.pk):
            child.path = department.path + child.path[len(old_path) :]
            child.save(update_fields=["path"])
    changes = changed_fields(before, snapshot(department, fields))
    if changes:
        audit_record(actor=by, action="department.update", obj=department, changes=changes)
    return department


@transaction.atomic
def department_delete(*, by: User, department: Department) -> None:
    counts = Department.objects.filter(pk=department.pk).aggregate(
        children=Count("children", distinct=True),
        teams=Count("teams", distinct=True),
        members=Count("members", distinct=True),
    )
    if any(counts.values()):
        raise Conflict(
            gettext(
                "Only an empty department can be deleted: move its sub-departments, teams "
                "and members first."
            ),
            fields={
                key: gettext("%(count)s left") % {"count": value}
                for key, value in counts.items()
                if value
            },
        )
    audit_record(actor=by, action="department.delete", obj=department)
    department.delete()


@transaction.atomic
def team_create(*, by: User, name: str, department: Department, leader: User | None = None) -> Team:
    name = _required_name(name)
    if Team.objects.filter(department=department, name=name).exists():
        raise Conflict(
            gettext("A team with this name already exists in this department."),
            fields={"name": gettext("%(name)s exists") % {"name": name}},
        )
    team = Team.objects.create(name=name, department=department, leader=leader)
    audit_record(
        actor=by,
        action="team.create",
        obj=team,
        changes={"name": [None, name], "department": [None, str(department)]},
    )
    return team


@transaction.atomic
def team_update(
    *, by: User, team: Team, name: str, department: Department, leader: User | None
) -> Team:
    name = _required_name(name)
    if Team.objects.filter(department=department, name=name).exclude(pk=team.pk).exists():
        raise Conflict(
            gettext("A team with this name already exists in this department."),
            fields={"name": gettext("%(name)s exists") % {"name": name}},
        )
    fields = ["name", "department", "leader"]
    before = snapshot(team, fields)
    team.name, team.department, team.leader = name, department, leader
    team.save()
    if before["department"] != str(department):
        # Members follow their team into the new department.
        team.members.update(department=department)
    changes = changed_fields(before, snapshot(team, fields))
    if changes:
        audit_record(actor=by, action="team.update", obj=team, changes=changes)
    return team


@transaction.atomic
def team_delete(*, by: User, team: Team) -> None:
    if team.members.exists():
        raise Conflict(
            gettext("Only a team without members can be deleted."),
            fields={"members": gettext("%(count)s left") % {"count": team.members.count()}},
        )
    audit_record(actor=by, action="team.delete", obj=team)
    team.delete()


def _clean_role(name: str, scopes: dict[str, str], permissions: list[str]) -> list[str]:
    _required_name(name)
    for field, scope in scopes.items():
        if scope not in DataScope.values:
            raise ValidationFailed(
                gettext("Unknown data scope."), fields={field: f"{scope!r} unknown"}
            )
    unknown = [code for code in permissions if code != "*" and code not in PERMISSIONS]
    if unknown:
        raise ValidationFailed(
            gettext("Unknown permission."), fields={"permissions": f"unknown: {', '.join(unknown)}"}
        )
    return sorted(set(permissions))


ROLE_AUDITED = ["name", "name_en", "scope", "lead_scope", "customers_masked", "permissions"]


@transaction.atomic
def role_create(
    *,
    by: User,
    code: str,
    name: str,
    scope: str,
    permissions: list[str],
    name_en: str = "",
    lead_scope: str = "",
    customers_masked: bool = False,
) -> Role:
    """A new role; its lead scope is its data scope unless given."""
    lead_scope = lead_scope or scope
    permissions = _clean_role(name, {"scope": scope, "lead_scope": lead_scope}, permissions)
    if not code or not code.replace("_", "").isalnum() or not code.isascii():
        raise ValidationFailed(
            gettext("The code may hold only letters, digits and underscores."),
            fields={"code": gettext("%(value)r is not a code") % {"value": code}},
        )
    if Role.objects.filter(code=code).exists():
        raise Conflict(
            gettext("A role with this code already exists."), fields={"code": f"{code} exists"}
        )
    role = Role.objects.create(
        code=code,
        name=name.strip(),
        name_en=name_en.strip(),
        scope=scope,
        lead_scope=lead_scope,
        customers_masked=customers_masked,
        permissions=permissions,
    )
    audit_record(
        actor=by,
        action="role.create",
        obj=role,
        changes={name: [None, value] for name, value in snapshot(role, ROLE_AUDITED).items()},
    )
    return role


@transaction.atomic
def role_update(
    *,
    by: User,
    role: Role,
    name: str,
    scope: str,
    permissions: list[str],
    name_en: str = "",
    lead_scope: str = "",
    customers_masked: bool | None = None,
) -> Role:
    """Change a role; a widened scope or unmasked customers is in the audit log with the
    rest (SEC-3). Left out, the lead scope and masking stay as they are."""
    lead_scope = lead_scope or role.lead_scope
    permissions = _clean_role(name, {"scope": scope, "lead_scope": lead_scope}, permissions)
    before = snapshot(role, ROLE_AUDITED)
    role.name, role.name_en, role.scope, role.lead_scope, role.permissions = (
        name.strip(),
        name_en.strip(),
        scope,
        lead_scope,
        permissions,
    )
    if customers_masked is not None:
        role.customers_masked = customers_masked
    role.save()
    changes = changed_fields(before, snapshot(role, ROLE_AUDITED))
    if changes:
        audit_record(actor=by, action="role.update", obj=role, changes=changes)
    return role


@transaction.atomic
def role_delete(*, by: User, role: Role) -> None:
    if role.is_system:
        raise Conflict(gettext("A built-in role cannot be deleted."), fields={"code": role.code})
    if role.users.exists():
        raise Conflict(
            gettext("Only a role nobody holds can be deleted."),
            fields={"users": gettext("%(count)s hold it") % {"count": role.users.count()}},
        )
    audit_record(actor=by, action="role.delete", obj=role)
    role.delete()


def manager_of(user: User | None) -> User | None:
    """Who a rep answers to: their team's leader, else their department's manager."""
    if user is None:
        return None
    team, department = user.team, user.department
    if team is not None and team.leader_id and team.leader_id != user.pk:
        return team.leader
    if department is not None and department.manager_id and department.manager_id != user.pk:
        return department.manager
    return None


def users_with_permission(code: str) -> list[User]:
    """Active users whose role names this permission itself (an administrator's "*" does
    not count: they are not the ones a business notice is for)."""
    roles = [role.pk for role in Role.objects.all() if code in role.permissions]
    return list(User.objects.filter(role_id__in=roles, is_active=True))
