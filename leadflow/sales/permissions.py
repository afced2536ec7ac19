from django.utils.translation import gettext_lazy as _

from leadflow.core.permissions import permission

SALES_RECEIPTS = permission("sales.receipts", _("Record receipts (回款) on contracts"))
SALES_CONTRACTS_ALL = permission("sales.contracts_all", _("See every contract (legal review)"))
SALES_TARGETS = permission("sales.targets", _("Set and split the sales targets"))
