from django.utils.translation import gettext_lazy as _

from leadflow.core.permissions import permission

LEADS_CREATE = permission("leads.create", _("Enter leads by hand or through the API"))
LEADS_IMPORT = permission("leads.import", _("Import lead files"))
LEADS_VERIFY = permission("leads.verify", _("Verify new leads (sales support)"))
LEADS_MERGE = permission("leads.merge", _("Merge duplicate leads and undo merges"))
LEADS_CONFIGURE = permission("leads.configure", _("Edit channels, non-target rules and web forms"))
LEADS_PRIORITY = permission("leads.priority", _("Set a lead's priority against its grade"))
LEADS_ASSIGN = permission(
    "leads.assign", _("Assign leads by hand, edit reps' assignment profiles, decide requests")
)
LEADS_CLAIM = permission("leads.claim", _("Claim leads from the public pool"))
