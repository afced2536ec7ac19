"""The contract form: what a person types; the services check the rules."""

from django import forms

from .models import Contract


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = [
            "title",
            "service",
            "amount",
            "cost",
            "payment_terms",
            "starts_on",
            "ends_on",
            "delivery_on",
            "clauses",
        ]
        widgets = {
            "service": forms.Textarea(attrs={"rows": 4}),
            "payment_terms": forms.Textarea(attrs={"rows": 2}),
            "clauses": forms.Textarea(attrs={"rows": 5}),
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
            "delivery_on": forms.DateInput(attrs={"type": "date"}),
        }
