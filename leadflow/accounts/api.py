from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from leadflow.core.permissions import ACCOUNTS_MANAGE, require

from .models import ApiToken, Department, Team, User
from .tokens import token_create, token_revoke

router = Router(tags=["accounts"])


class RoleOut(Schema):
    code: str
    name: str
    scope: str
    lead_scope: str
    customers_masked: bool


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    mobile: str
    department_id: int | None
    team_id: int | None
    role: RoleOut | None
    is_active: bool


class MeOut(UserOut):
    permissions: list[str]
    data_scope: str
    lead_data_scope: str


@router.get("/me", response=MeOut, summary="The authenticated user")
def me(request):
    user = request.user
    permissions = ["*"] if user.is_superuser else (user.role.permissions if user.role_id else [])
    return {
        **UserOut.model_validate(user).model_dump(),
        "permissions": permissions,
        "data_scope": user.data_scope,
        "lead_data_scope": user.lead_data_scope,
    }


@router.get("/users", response=list[UserOut], summary="All staff accounts (accounts.manage)")
def users_list(request):
    require(request.user, ACCOUNTS_MANAGE)
    return User.objects.select_related("role").order_by("username")


class DepartmentOut(Schema):
    id: int
    name: str
    parent_id: int | None
    path: str
    manager_id: int | None


@router.get("/departments", response=list[DepartmentOut], summary="The department tree")
def departments_list(request):
    return Department.objects.all()


class TeamOut(Schema):
    id: int
    name: str
    department_id: int
    leader_id: int | None


@router.get("/teams", response=list[TeamOut], summary="All teams")
def teams_list(request):
    return Team.objects.all()


class TokenIn(Schema):
    name: str
    expires_at: datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
def tokens_list(request):
    return ApiToken.objects.filter(user=request.user)


@router.post("/tokens", response={201: TokenCreated}, summary="Make an API token (shown once)")
def tokens_create(request, payload: TokenIn):
    token, raw = token_create(
        user=request.user, name=payload.name, by=request.user, expires_at=payload.expires_at
    )
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": raw})


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke one of my tokens")
def tokens_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token_revoke(token=token, by=request.user)
    return Status(204, None)
