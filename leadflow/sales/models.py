from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Deal(models.Model):
    """A sale to a customer with its amount and date (LEAD-CNV-1). A deal won from a lead
    keeps how long the lead took (created → won) for analysis (LEAD-CNV-2)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="deals"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deals"
    )
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    signed_on = models.DateField(_("signed on"))
    source = models.CharField(_("source"), max_length=40, blank=True)  # e.g. "lead G20260302001"
    opened_at = models.DateTimeField(_("opened at"))  # the lead's capture, or the deal's entry
    won_at = models.DateTimeField(_("won at"))
    cycle_days = models.DecimalField(_("cycle (days)"), max_digits=8, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_on", "-id"]
        indexes = [models.Index(fields=["owner", "-signed_on"], name="deal_owner_recent")]

    def __str__(self) -> str:
        return f"{self.customer} {self.amount}"
