from django.utils.translation import gettext_lazy as _

from leadflow.core.permissions import permission

MARKETING_CAMPAIGNS = permission("marketing.campaigns", _("Plan and run marketing campaigns"))
MARKETING_BUDGET = permission("marketing.budget", _("Keep the marketing budget"))
MARKETING_REIMBURSE = permission("marketing.reimburse", _("Reimburse approved expense claims"))
