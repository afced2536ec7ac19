from django.utils.translation import gettext_lazy as _

from leadflow.core.permissions import permission

APPROVALS_CONFIGURE = permission("approvals.configure", _("Edit the approval flows"))
