from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from leadflow.core.errors import DomainError
from leadflow.core.exports import export_from_request
from leadflow.core.permissions import ACCOUNTS_MANAGE
from leadflow.core.ui import form_error, page_of, permission_required

from .forms import (
    AgreementForm,
    DepartmentForm,
    LoginForm,
    PasswordChangeForm,
    RoleForm,
    TeamForm,
    TokenForm,
    UserForm,
)
from .login import LoginRefused, agreement_accept, agreement_current, login_check, user_unlock
from .models import ApiToken, Department, Role, Team, User
from .org import (
    department_create,
    department_delete,
    department_update,
    role_create,
    role_delete,
    role_update,
    team_create,
    team_delete,
    team_update,
)
from .tokens import token_create, token_revoke
from .users import password_change, user_create, user_reset_password, user_update


def _next_url(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def login_view(request):
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = login_check(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except LoginRefused as error:
            form.add_error(None, error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_next_url(request))
    return render(request, "accounts/login.html", {"form": form, "next": _next_url(request)})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("login")


@login_required
def agreement_view(request):
    current = agreement_current()
    form = AgreementForm(request.POST or None, initial={"version": current["version"]})
    if request.method == "POST" and form.is_valid():
        try:
            agreement_accept(user=request.user, version=form.cleaned_data["version"])
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/agreement.html",
        {"form": form, "agreement": current, "next": _next_url(request)},
    )


@login_required
def profile_view(request):
    password_form = PasswordChangeForm(request.POST if "change_password" in request.POST else None)
    token_form = TokenForm(request.POST if "create_token" in request.POST else None)
    new_token = None
    if password_form.is_bound and password_form.is_valid():
        try:
            password_change(
                user=request.user,
                current=password_form.cleaned_data["current"],
                new=password_form.cleaned_data["new"],
            )
        except DomainError as error:
            form_error(password_form, error)
        else:
            login(request, request.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, gettext("Your password was changed."))
            return redirect("profile")
    if token_form.is_bound and token_form.is_valid():
        try:
            _token, new_token = token_create(
                user=request.user, name=token_form.cleaned_data["name"], by=request.user
            )
        except DomainError as error:
            form_error(token_form, error)
        else:
            token_form = TokenForm()
    return render(
        request,
        "accounts/profile.html",
        {
            "password_form": password_form,
            "token_form": token_form,
            "new_token": new_token,
            "tokens": ApiToken.objects.filter(user=request.user),
        },
    )


@require_POST
@login_required
def token_revoke_view(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token_revoke(token=token, by=request.user)
    messages.success(request, gettext("The token was revoked."))
    return redirect("profile")


USER_HEADERS = [
    _("Username"),
    _("Full name"),
    _("Email"),
    _("Mobile"),
    _("Role"),
    _("Department"),
    _("Team"),
    _("Active"),
    _("Last login"),
]


@permission_required(ACCOUNTS_MANAGE)
def users_page(request):
    users = User.objects.select_related("role", "department", "team").order_by("username")
    query = request.GET.get("q", "").strip()
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(display_name__icontains=query)
            | Q(email__icontains=query)
            | Q(mobile__icontains=query)
        )
    if request.GET.get("role"):
        users = users.filter(role__code=request.GET["role"])
    if request.GET.get("department"):
        department = Department.objects.filter(pk=request.GET["department"]).first()
        if department:
            users = users.filter(department__path__startswith=department.path)
    if request.GET.get("export"):
        rows = (
            [
                u.username,
                u.display_name,
                u.email,
                u.mobile,
                u.role,
                u.department,
                u.team,
                u.is_active,
                u.last_login,
            ]
            for u in users
        )
        return export_from_request(request, name="users", headers=USER_HEADERS, rows=rows)
    return render(
        request,
        "accounts/users.html",
        {
            "page": page_of(request, users),
            "roles": Role.objects.all(),
            "departments": Department.objects.all(),
            "filters": request.GET,
        },
    )


@permission_required(ACCOUNTS_MANAGE)
def user_new(request):
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = user_create(
                by=request.user,
                username=data["username"],
                display_name=data["display_name"],
                email=data["email"],
                mobile=data["mobile"],
                role=data["role"],
                department=data["department"],
                team=data["team"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            return render(
                request, "accounts/password_shown.html", {"shown_user": user, "password": password}
            )
    return render(request, "accounts/user_form.html", {"form": form})


@permission_required(ACCOUNTS_MANAGE)
def user_edit(request, user_id: int):
    user = get_object_or_404(User.objects.select_related("role"), pk=user_id)
    initial = {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "mobile": user.mobile,
        "role": user.role,
        "department": user.department,
        "team": user.team,
        "is_active": user.is_active,
    }
    form = UserForm(request.POST or None, initial=initial, editing=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user_update(
                by=request.user,
                user=user,
                display_name=data["display_name"],
                email=data["email"],
                mobile=data["mobile"],
                role=data["role"],
                department=data["department"],
                team=data["team"],
                is_active=data["is_active"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("users")
    return render(request, "accounts/user_form.html", {"form": form, "edited": user})


@require_POST
@permission_required(ACCOUNTS_MANAGE)
def user_action(request, user_id: int, action: str):
    user = get_object_or_404(User, pk=user_id)
    if action == "unlock":
        user_unlock(user=user, by=request.user)
        messages.success(request, gettext("%(user)s can sign in again.") % {"user": user})
        return redirect("user_edit", user_id=user.pk)
    if action == "reset_password":
        password = user_reset_password(by=request.user, user=user)
        return render(
            request, "accounts/password_shown.html", {"shown_user": user, "password": password}
        )
    return redirect("user_edit", user_id=user.pk)


@permission_required(ACCOUNTS_MANAGE)
def org_page(request):
    department_form = DepartmentForm(request.POST if "add_department" in request.POST else None)
    team_form = TeamForm(request.POST if "add_team" in request.POST else None)
    for form, create in ((department_form, department_create), (team_form, team_create)):
        if form.is_bound and form.is_valid():
            try:
                create(by=request.user, **form.cleaned_data)
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, gettext("Saved."))
                return redirect("org")
    departments = Department.objects.select_related("manager").annotate(
        member_count=Count("members", distinct=True)
    )
    teams = Team.objects.select_related("leader", "department").annotate(
        member_count=Count("members", distinct=True)
    )
    by_department: dict[int, list[Team]] = {}
    for team in teams:
        by_department.setdefault(team.department_id, []).append(team)
    tree = [(department, by_department.get(department.pk, [])) for department in departments]
    return render(
        request,
        "accounts/org.html",
        {"tree": tree, "department_form": department_form, "team_form": team_form},
    )


def _edit_or_delete(request, obj, form, update, delete, template: str):
    if request.method == "POST" and "delete" in request.POST:
        try:
            delete(by=request.user, **{obj._meta.model_name: obj})
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(request.path)
        messages.success(request, gettext("Deleted."))
        return redirect("org")
    if request.method == "POST" and form.is_valid():
        try:
            update(by=request.user, **{obj._meta.model_name: obj}, **form.cleaned_data)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("org")
    return render(request, template, {"form": form, "edited": obj})


@permission_required(ACCOUNTS_MANAGE)
def department_edit(request, department_id: int):
    department = get_object_or_404(Department, pk=department_id)
    form = DepartmentForm(
        request.POST or None,
        initial={
            "name": department.name,
            "parent": department.parent,
            "manager": department.manager,
        },
    )
    return _edit_or_delete(
        request,
        department,
        form,
        department_update,
        department_delete,
        "accounts/department_form.html",
    )


@permission_required(ACCOUNTS_MANAGE)
def team_edit(request, team_id: int):
    team = get_object_or_404(Team, pk=team_id)
    form = TeamForm(
        request.POST or None,
        initial={"name": team.name, "department": team.department, "leader": team.leader},
    )
    return _edit_or_delete(request, team, form, team_update, team_delete, "accounts/team_form.html")


@permission_required(ACCOUNTS_MANAGE)
def roles_page(request):
    roles = Role.objects.annotate(user_count=Count("users"))
    return render(request, "accounts/roles.html", {"roles": roles})


@permission_required(ACCOUNTS_MANAGE)
def role_edit(request, role_id: int | None = None):
    role = get_object_or_404(Role, pk=role_id) if role_id else None
    initial = {}
    if role is not None:
        initial = {
            "code": role.code,
            "name": role.name,
            "name_en": role.name_en,
            "scope": role.scope,
            "lead_scope": role.lead_scope,
            "customers_masked": role.customers_masked,
            "permissions": [p for p in role.permissions if p != "*"],
            "everything": "*" in role.permissions,
        }
    form = RoleForm(request.POST or None, initial=initial, editing=role)
    if request.method == "POST" and "delete" in request.POST and role is not None:
        try:
            role_delete(by=request.user, role=role)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("role_edit", role_id=role.pk)
        messages.success(request, gettext("Deleted."))
        return redirect("roles")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        permissions = ["*"] if data["everything"] else list(data["permissions"])
        try:
            if role is None:
                role_create(
                    by=request.user,
                    code=data["code"],
                    name=data["name"],
                    name_en=data["name_en"],
                    scope=data["scope"],
                    lead_scope=data["lead_scope"] or data["scope"],
                    customers_masked=data["customers_masked"],
                    permissions=permissions,
                )
            else:
                role_update(
                    by=request.user,
                    role=role,
                    name=data["name"],
                    name_en=data["name_en"],
                    scope=data["scope"],
                    lead_scope=data["lead_scope"] or data["scope"],
                    customers_masked=data["customers_masked"],
                    permissions=permissions,
                )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("roles")
    return render(request, "accounts/role_form.html", {"form": form, "edited": role})
