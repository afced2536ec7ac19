from django.db import models
from django.utils.translation import gettext_lazy as _


class Campaign(models.Model):
    """A marketing campaign (MKT-2) that leads can be attributed to. Planning, approval and
    evaluation come with the marketing issue; leads only need to point at one."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    channel = models.ForeignKey(
        "leads.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name
