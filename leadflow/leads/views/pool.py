"""The public pool (公海, LEAD-POOL): the pool list and claiming a lead from it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from leadflow.core.errors import DomainError
from leadflow.core.exports import export_from_request
from leadflow.core.paging import page_for_request
from leadflow.core.ui import (
    permission_required,
    refused_message,
)

from ..permissions import (
    LEADS_CLAIM,
)
from ..pool import claim_limits, lead_claim, may_see_pool, pool_lead, pool_leads
from .common import (
    EXPORT_LIMIT,
)

POOL_EXPORT_HEADERS = [
    _("Number"),
    _("Name"),
    _("Contact"),
    _("Industry"),
    _("Need"),
    _("Region"),
    _("Employees"),
    _("Grade"),
    _("Stage"),
    _("In the pool since"),
]


@login_required
def pool_page(request):
    """The public pool (LEAD-FUP-4): leads nobody works, to claim within one's limits."""
    if not may_see_pool(request.user):
        raise Http404
    leads = pool_leads(
        request.user,
        q=request.GET.get("q", ""),
        region=request.GET.get("region", ""),
        grade=request.GET.get("grade", ""),
    )
    if request.GET.get("export"):
        rows = (
            [
                lead.number,
                lead.name,
                lead.contact_name,
                lead.industry,
                lead.need,
                lead.region,
                lead.employees,
                lead.grade,
                lead.get_stage_display(),
                lead.updated_at,
            ]
            for lead in leads.order_by("-id")[:EXPORT_LIMIT]
        )
        return export_from_request(request, name="pool", headers=POOL_EXPORT_HEADERS, rows=rows)
    page, next_cursor = page_for_request(leads, request)
    return render(
        request,
        "leads/pool.html",
        {
            "leads": page,
            "next_cursor": next_cursor,
            "filters": request.GET,
            "first_page": not request.GET.get("cursor"),
            "limits": claim_limits(request.user),
            "can_claim": request.user.has_permission(LEADS_CLAIM),
        },
    )


@require_POST
@permission_required(LEADS_CLAIM)
def lead_claim_view(request, lead_id: int):
    lead = pool_lead(request.user, lead_id)
    if lead is None:
        raise Http404
    try:
        lead_claim(lead=lead, by=request.user)
    except DomainError as error:
        refused_message(request, error)
        return redirect("lead_pool")
    messages.success(
        request,
        gettext("%(number)s is yours now: first contact by %(due)s.")
        % {
            "number": lead.number,
            "due": timezone.localtime(lead.next_due_at).strftime("%Y-%m-%d %H:%M"),
        },
    )
    return redirect("lead", lead_id=lead.pk)
