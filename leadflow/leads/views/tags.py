"""Tags on the lead page: put one on, take one off (AUT-1)."""

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from ..tags import lead_tag_add, lead_tag_remove
from .common import back_to_lead, lead_action


@require_POST
@login_required
def lead_tags_view(request, lead_id: int):
    tag = request.POST.get("tag", "")
    if request.POST.get("remove"):
        lead = lead_action(
            request,
            lead_id,
            lambda lead: lead_tag_remove(lead=lead, tag=tag, by=request.user),
            lambda lead: gettext("Tag %(tag)s taken off.") % {"tag": tag},
        )
    else:
        lead = lead_action(
            request,
            lead_id,
            lambda lead: lead_tag_add(lead=lead, tag=tag, by=request.user),
            lambda lead: gettext("Tag %(tag)s added.") % {"tag": tag.strip()},
        )
    return back_to_lead(request, lead)
