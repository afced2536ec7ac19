from django.utils.translation import gettext_lazy as _

from leadflow.core.permissions import permission

MAILING_SEND = permission(
    "mailing.send", _("Keep email templates and send email to lists of leads")
)
