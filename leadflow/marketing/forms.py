"""The forms of the marketing pages: they collect what a person types and pick what is
picked (departments, people, channels, categories); the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import Department, User
from leadflow.leads.models import Channel

from .models import Campaign, ExpenseCategory


class DateInput(forms.DateInput):
    input_type = "date"


class CampaignForm(forms.ModelForm):
    channel = forms.ModelChoiceField(
        queryset=Channel.objects.filter(active=True), required=False, label=_("lead channel")
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.order_by("path"), required=False, label=_("department")
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        label=_("owner"),
    )
    staff = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        label=_("staff"),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "objective",
            "form",
            "theme",
            "content",
            "strategy_product",
            "strategy_price",
            "strategy_channel",
            "strategy_promotion",
            "channel",
            "starts_on",
            "ends_on",
            "place",
            "department",
            "owner",
            "planned_audience",
            "target_participants",
            "target_leads",
            "target_a_leads",
            "target_sales",
            "target_satisfaction",
        ]
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "content": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in (
            "planned_audience",
            "target_participants",
            "target_leads",
            "target_a_leads",
            "target_sales",
            "target_satisfaction",
        ):
            self.fields[name].required = False  # empty is 0
        self.budget_categories = list(ExpenseCategory.objects.filter(active=True))
        for category in self.budget_categories:
            initial = None
            if self.instance.pk:
                line = self.instance.budget_lines.filter(category=category).first()
                initial = line.amount if line else None
            self.fields[f"budget_{category.pk}"] = forms.DecimalField(
                label=category.name,
                required=False,
                min_value=0,
                decimal_places=2,
                max_digits=14,
                initial=initial,
            )

    def budget(self) -> dict[int, object]:
        return {
            category.pk: self.cleaned_data.get(f"budget_{category.pk}")
            for category in self.budget_categories
            if self.cleaned_data.get(f"budget_{category.pk}")
        }

    def budget_fields(self):
        return [self[f"budget_{category.pk}"] for category in self.budget_categories]

    def plan_fields(self):
        return [self[name] for name in self.Meta.fields] + [self["staff"]]


class TaskForm(forms.Form):
    title = forms.CharField(label=_("task"), max_length=200)
    assignee = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        label=_("assignee"),
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.order_by("path"), required=False, label=_("department")
    )
    due_on = forms.DateField(label=_("due"), widget=DateInput())


class EvaluationForm(forms.Form):
    participants = forms.IntegerField(label=_("participants"), min_value=0, required=False)
    satisfaction = forms.DecimalField(
        label=_("satisfaction (1–5)"), required=False, min_value=1, max_value=5, decimal_places=2
    )
    lessons = forms.CharField(
        label=_("lessons learned"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's FileField takes one)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return single(data, initial)


class ClaimForm(forms.Form):
    spent_on = forms.DateField(label=_("date"), widget=DateInput())
    category = forms.ModelChoiceField(
        queryset=ExpenseCategory.objects.filter(active=True), label=_("category")
    )
    amount = forms.DecimalField(
        label=_("amount (元)"), min_value=0, decimal_places=2, max_digits=12
    )
    reason = forms.CharField(label=_("reason"), max_length=500)
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.filter(
            state__in=[Campaign.State.APPROVED, Campaign.State.RUNNING, Campaign.State.ENDED]
        ),
        required=False,
        label=_("campaign"),
    )
    receipts = MultipleFileField(
        label=_("receipts (JPEG, PNG or PDF)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}),
    )


class BudgetLineForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=ExpenseCategory.objects.filter(active=True), required=False, label=_("category")
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.order_by("path"), required=False, label=_("department")
    )
    month = forms.TypedChoiceField(
        choices=[("", _("whole year"))] + [(n, f"{n} 月") for n in range(1, 13)],
        coerce=int,
        empty_value=None,
        required=False,
        label=_("month"),
    )
    amount = forms.DecimalField(
        required=False, min_value=0, decimal_places=2, max_digits=14, label=_("amount (元)")
    )


BudgetLinesFormSet = forms.formset_factory(BudgetLineForm, extra=8, max_num=60)
