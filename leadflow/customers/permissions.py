from django.utils.translation import gettext_lazy as _

from leadflow.core.permissions import permission

CUSTOMERS_CREATE = permission("customers.create", _("Create customers by hand"))
CUSTOMERS_REVEAL = permission(
    "customers.reveal", _("See a shared customer's full phone numbers and emails (logged)")
)
CUSTOMERS_GRANT = permission(
    "customers.grant", _("Approve requests for access to another rep's customer")
)
