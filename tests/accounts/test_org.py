"""The organisation: department tree, teams, roles (MKT-1, SEC-1)."""

import pytest

from leadflow.accounts.models import Department, Role
from leadflow.accounts.org import (
    department_delete,
    department_update,
    role_create,
    role_delete,
    role_update,
    team_update,
)
from leadflow.accounts.users import user_create
from leadflow.core.errors import Conflict, ValidationFailed
from leadflow.core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_moving_a_department_moves_its_subtree(org, admin_user):
    department_update(
        by=admin_user,
        department=org.east_region,
        name="华东大区",
        parent=org.marketing,
        manager=None,
    )
    org.east.department.refresh_from_db()
    assert org.east.department.path == f"/{org.company.pk}/{org.marketing.pk}/{org.east_region.pk}/"
    changes = AuditLog.objects.get(action="department.update").changes
    assert changes == {"parent": ["销售部", "市场部"]}


def test_a_department_cannot_move_under_itself(org, admin_user):
    with pytest.raises(ValidationFailed) as refused:
        department_update(
            by=admin_user, department=org.sales, name="销售部", parent=org.east_region, manager=None
        )
    assert "parent" in refused.value.fields
    org.sales.refresh_from_db()
    assert org.sales.parent == org.company


def test_only_an_empty_department_can_be_deleted(org, admin_user):
    with pytest.raises(Conflict):
        department_delete(by=admin_user, department=org.sales)
    department_delete(by=admin_user, department=org.marketing)
    assert not Department.objects.filter(pk=org.marketing.pk).exists()


def test_team_members_follow_their_team_to_a_new_department(org, admin_user, make_user):
    member = make_user(team=org.north)
    team_update(by=admin_user, team=org.north, name="华北组", department=org.marketing, leader=None)
    member.refresh_from_db()
    assert member.department == org.marketing


def test_team_must_belong_to_the_users_department(org, admin_user):
    with pytest.raises(ValidationFailed) as refused:
        user_create(
            by=admin_user,
            username="x1",
            display_name="X",
            role=Role.objects.get(code="sales_rep"),
            department=org.marketing,
            team=org.east,
        )
    assert "team" in refused.value.fields


def test_roles_are_seeded_and_editable(admin_user):
    codes = set(Role.objects.values_list("code", flat=True))
    assert codes == {
        "admin",
        "marketing",
        "sales_rep",
        "sales_manager",
        "sales_support",
        "customer_service",
        "legal",
        "finance",
        "management",
    }
    rep = Role.objects.get(code="sales_rep")
    assert rep.scope == "own"
    role_update(by=admin_user, role=rep, name="销售代表", scope="team", permissions=["data.export"])
    rep.refresh_from_db()
    assert (rep.scope, rep.permissions) == ("team", ["data.export"])
    with pytest.raises(ValidationFailed):
        role_update(by=admin_user, role=rep, name="销售代表", scope="everyone", permissions=[])
    with pytest.raises(ValidationFailed):
        role_update(by=admin_user, role=rep, name="销售代表", scope="own", permissions=["fly"])
    with pytest.raises(Conflict):
        role_delete(by=admin_user, role=rep)
    custom = role_create(by=admin_user, code="intern", name="实习生", scope="own", permissions=[])
    role_delete(by=admin_user, role=custom)
