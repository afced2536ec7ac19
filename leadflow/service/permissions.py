from django.utils.translation import gettext_lazy as _

from leadflow.core.permissions import permission

SERVICE_DESK = permission(
    "service.desk", _("Take in tickets, contact customers, assign, revisit and close them")
)
SERVICE_MANAGE = permission(
    "service.manage", _("Keep service categories, root causes and improvement items")
)
