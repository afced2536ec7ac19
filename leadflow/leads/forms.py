"""The forms of the lead pages: what a person types, checked before any service runs."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from leadflow.core.pickers import use_pickers

from .models import (
    Channel,
    FollowUp,
    Lead,
    NonTargetRule,
    RepProfile,
    ScoreRule,
    Stage,
    TeamProfile,
)
from .stages import INVALID_REASONS
from .webforms import FORM_FIELDS


class LeadForm(forms.Form):
    name = forms.CharField(
        label=_("Customer name"),
        max_length=200,
        help_text=_("The company, or the person's name for an individual."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Guess from the name")), *Lead.Kind.choices],
    )
    contact_name = forms.CharField(label=_("Contact"), max_length=60, required=False)
    contact_title = forms.CharField(label=_("Contact title"), max_length=60, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=40, required=False)
    landline = forms.CharField(label=_("Landline"), max_length=40, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    industry = forms.CharField(label=_("Industry"), max_length=60)
    need = forms.CharField(label=_("Initial need"), widget=forms.Textarea(attrs={"rows": 3}))
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    employees = forms.CharField(label=_("Employees"), max_length=20, required=False)
    budget = forms.CharField(label=_("Budget"), max_length=60, required=False)
    purchase_timeline = forms.CharField(label=_("Purchase timeline"), max_length=60, required=False)
    current_supplier = forms.CharField(label=_("Current supplier"), max_length=100, required=False)
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.filter(active=True), to_field_name="code"
    )
    channel_detail = forms.CharField(
        label=_("Channel detail"),
        max_length=100,
        required=False,
        help_text=_("e.g. 展会-2026年行业展, 客户推荐-老客户王"),
    )
    campaign_id = forms.TypedChoiceField(
        label=_("Campaign"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("A campaign that has started, when the lead came from one."),
    )
    acquired_at = forms.DateTimeField(
        label=_("Acquired at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    consent_given = forms.BooleanField(
        label=_("The customer agreed to the privacy notice"), required=False
    )
    consent_channel = forms.CharField(
        label=_("How they agreed"),
        max_length=40,
        required=False,
        help_text=_("e.g. 电话中口头同意, 展会登记表"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Campaigns belong to marketing, which leads does not import; the key knows them.
        campaign = Lead._meta.get_field("campaign").related_model
        started = campaign._default_manager.filter(
            state__in=getattr(campaign, "ATTRIBUTABLE", ())
        ).order_by("-id")
        field = cast(forms.TypedChoiceField, self.fields["campaign_id"])
        field.choices = [("", "—"), *((c.pk, str(c)) for c in started)]
        use_pickers(self)


class MergeForm(forms.Form):
    merged = forms.CharField(label=_("Duplicate lead number"), max_length=20)
    survivor = forms.CharField(label=_("Keep lead number"), max_length=20)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
    channel = forms.ModelChoiceField(
        label=_("Channel for rows without one"),
        required=False,
        queryset=Channel.objects.filter(active=True),
        to_field_name="code",
    )
    basis = forms.CharField(
        label=_("Lawful basis for the whole file"),
        max_length=200,
        help_text=_("e.g. 展会登记时已获得书面同意 (PIPL: required for imports)"),
    )


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = ["code", "name", "kind", "requires_verification", "active"]


class RuleForm(forms.ModelForm):
    class Meta:
        model = NonTargetRule
        fields = ["field", "match", "value", "reason", "active"]


class WebFormForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    channel = forms.ModelChoiceField(
        label=_("Channel"), queryset=Channel.objects.filter(active=True)
    )
    channel_detail = forms.CharField(label=_("Channel detail"), max_length=100, required=False)
    required_fields = forms.MultipleChoiceField(
        label=_("Also required"),
        required=False,
        choices=[(k, v) for k, v in FORM_FIELDS.items() if k not in ("name", "industry", "need")],
        widget=forms.CheckboxSelectMultiple,
    )
    consent_text = forms.CharField(
        label=_("Privacy notice shown on the form"), widget=forms.Textarea(attrs={"rows": 3})
    )
    consent_version = forms.CharField(
        label=_("Notice version"), max_length=40, initial="privacy-2026-01"
    )
    thank_you = forms.CharField(
        label=_("Thank-you message"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    rate_per_hour = forms.IntegerField(
        label=_("Submissions per IP per hour"), min_value=1, max_value=10000, initial=20
    )


class ScoreRuleForm(forms.ModelForm):
    class Meta:
        model = ScoreRule
        fields = [
            "name",
            "dimension",
            "points",
            "field",
            "operator",
            "value",
            "event",
            "min_count",
            "repeatable",
            "active",
        ]


class RepProfileForm(forms.ModelForm):
    class Meta:
        model = RepProfile
        fields = ["regions", "industries", "priorities", "capacity", "available"]


class TeamProfileForm(forms.ModelForm):
    class Meta:
        model = TeamProfile
        fields = ["regions", "industries", "priorities"]


class FollowUpForm(forms.Form):
    contact_at = forms.DateTimeField(
        label=_("Contact time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    method = forms.ChoiceField(label=_("Method"), choices=FollowUp.Method.choices)
    feedback = forms.CharField(
        label=_("What the customer said"), widget=forms.Textarea(attrs={"rows": 2})
    )
    intent = forms.ChoiceField(
        label=_("Intent"), choices=FollowUp.Intent.choices, initial=FollowUp.Intent.SAME
    )
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    next_at = forms.DateTimeField(
        label=_("Next follow-up"),
        required=False,
        help_text=_("Empty: the cadence of the lead's priority."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    fact = forms.CharField(label=_("What happened"), max_length=500)
    invalid_reason = forms.ChoiceField(
        label=_("Why it is invalid"),
        required=False,
        choices=[("", "—"), *INVALID_REASONS.items()],
        help_text=_("For 无效."),
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, help_text=_("For 流失: why the customer was lost.")
    )
    deal_amount = forms.DecimalField(label=_("Deal amount"), required=False, min_value=0)
    deal_date = forms.DateField(
        label=_("Deal date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        required=False,
        max_length=30,
        help_text=_("成交: finds the customer if it exists, or is recorded on the new one."),
    )

    def clean(self):
        data = super().clean() or {}
        picked = data.pop("invalid_reason", "")
        if data.get("stage") == Stage.INVALID:
            data["reason"] = picked  # 无效's reason is picked from the list, never typed
        return data
