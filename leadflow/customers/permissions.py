from django.utils.translation import gettext_lazy as _

from leadflow.core.permissions import permission

CUSTOMERS_CREATE = permission("customers.create", _("Create customers by hand"))
