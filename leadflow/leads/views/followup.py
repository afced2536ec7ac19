"""Follow-up (LEAD-FUP-1…3): recording a follow-up, what is due, supervision."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from leadflow.core.exports import export_response
from leadflow.core.ui import (
    permission_required,
)

from ..followup import DUE_WINDOWS, followup_record
from ..forms import (
    FollowUpForm,
)
from ..permissions import (
    LEADS_ASSIGN,
)
from ..queries import (
    due_leads,
    leads_visible_to,
    supervision,
)
from .common import (
    lead_form_action,
)


@require_POST
@login_required
def lead_followup_view(request, lead_id: int):
    """The quick-entry form on the lead page (LEAD-FUP-2)."""
    return lead_form_action(
        request,
        lead_id,
        FollowUpForm,
        followup_record,
        lambda lead: (
            gettext("Follow-up saved. Next by %(due)s.")
            % {"due": timezone.localtime(lead.next_due_at).strftime("%Y-%m-%d %H:%M")}
        ),
    )


@login_required
def followups_page(request):
    """My follow-ups: overdue, due today, this week; a manager sees their team's, through
    the same data scope (LEAD-FUP-3)."""
    when = request.GET.get("when", "overdue")
    if when not in DUE_WINDOWS:
        when = "overdue"
    leads = due_leads(request.user, when)
    if request.GET.get("mine"):
        leads = leads.filter(owner=request.user)
    if request.GET.get("first"):
        leads = leads.filter(first_contact_at__isnull=True)
    return render(
        request,
        "leads/followups.html",
        {"leads": leads[:200], "count": leads.count(), "when": when, "now": timezone.now()},
    )


@permission_required(LEADS_ASSIGN)
def supervision_page(request):
    """跟进监督 (LEAD-FUP-3): per rep, missed first contacts and follow-ups, escalations,
    follow-ups written and late entries, over the leads the viewer may see."""
    try:
        days = max(1, min(366, int(request.GET.get("days", "30"))))
    except ValueError:
        days = 30
    since = timezone.now() - timedelta(days=days)
    rows = supervision(leads_visible_to(request.user), since)
    if fmt := request.GET.get("export"):
        return export_response(
            user=request.user,
            name="supervision",
            fmt=fmt,
            headers=[
                gettext("Rep"),
                gettext("Missed first contacts"),
                gettext("Missed follow-ups"),
                gettext("Escalated"),
                gettext("Follow-ups"),
                gettext("Late entries"),
            ],
            rows=[
                [
                    str(r.rep),
                    r.first_contact_lapses,
                    r.followup_lapses,
                    r.escalated,
                    r.followups,
                    r.late_entries,
                ]
                for r in rows
            ],
            filters={"days": days},
        )
    return render(request, "leads/supervision.html", {"rows": rows, "days": days})
