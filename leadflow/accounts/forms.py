from django import forms
from django.utils.translation import gettext_lazy as _

from leadflow.core.permissions import PERMISSIONS

from .models import DataScope, Department, Role, Team, User


class DepartmentChoiceField(forms.ModelChoiceField):
    """Departments indented by their depth in the tree."""

    def label_from_instance(self, obj) -> str:
        return "— " * obj.depth + obj.name


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.department.name} / {obj.name}"


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AgreementForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput)
    accept = forms.BooleanField(label=_("I have read and accept the confidentiality agreement"))


class PasswordChangeForm(forms.Form):
    current = forms.CharField(label=_("Current password"), strip=False, widget=forms.PasswordInput)
    new = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput,
        help_text=_("At least 10 characters, not only digits, not a common password."),
    )
    repeat = forms.CharField(
        label=_("Repeat the new password"), strip=False, widget=forms.PasswordInput
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("new") and data.get("new") != data.get("repeat"):
            self.add_error("repeat", _("The two passwords differ."))
        return data


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=60,
        help_text=_("What will use it, e.g. “website form” or “ERP sync”."),
    )


class UserForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Full name"), max_length=60)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.all())
    department = DepartmentChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )
    team = TeamChoiceField(
        label=_("Team"), queryset=Team.objects.select_related("department"), required=False
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if editing is not None:
            self.fields["username"].disabled = True
        else:
            del self.fields["is_active"]


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = DepartmentChoiceField(
        label=_("Parent department"), queryset=Department.objects.all(), required=False
    )
    manager = forms.ModelChoiceField(
        label=_("Manager"), queryset=User.objects.filter(is_active=True), required=False
    )


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    department = DepartmentChoiceField(label=_("Department"), queryset=Department.objects.all())
    leader = forms.ModelChoiceField(
        label=_("Team leader"), queryset=User.objects.filter(is_active=True), required=False
    )


class RoleForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name (Chinese)"), max_length=60)
    name_en = forms.CharField(label=_("Name (English)"), max_length=60, required=False)
    scope = forms.ChoiceField(
        label=_("Data scope"),
        choices=DataScope.choices,
        help_text=_("Customers, reports and everything else a person owns"),
    )
    lead_scope = forms.ChoiceField(
        label=_("Lead data scope"),
        choices=[("", _("Same as the data scope")), *DataScope.choices],
        required=False,
    )
    customers_masked = forms.BooleanField(
        label=_("Sees customers' phones, emails and addresses masked"),
        required=False,
        help_text=_("Except customers they own or whose team they are on"),
    )
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=lambda: sorted(PERMISSIONS.items()),  # areas register theirs at start-up
    )
    everything = forms.BooleanField(label=_("All permissions (administrator)"), required=False)

    def __init__(self, *args, editing: Role | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if editing is not None:
            self.fields["code"].disabled = True
