"""The lead list (#25): filters, sortable columns the person chooses, saved views (我的视图)
and bulk actions on the rows they tick, each action the same service as on a lead's page,
on leads the person may see."""

from datetime import date, datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from leadflow.accounts.models import User
from leadflow.core.errors import DomainError
from leadflow.core.exports import export_from_request, export_response
from leadflow.core.paging import page_for_request
from leadflow.core.personal import personal_list_viewed
from leadflow.core.saved_views import saved_views_of
from leadflow.core.worktime import company_zone

from ..assignment import lead_assign_manual
from ..models import Channel, Lead, LeadStatus, Stage
from ..permissions import LEADS_ASSIGN
from ..pool import lead_return_to_pool
from ..queries import POOL_SOON, LeadFilters, filtered_leads, leads_visible_to
from ..tags import lead_tag_add
from .common import EXPORT_HEADERS, EXPORT_LIMIT

PAGE = "leads"  # the saved views' key for this list
# column → its heading and the sort key it orders by (None: not sortable)
COLUMNS: dict[str, tuple[object, str | None]] = {
    "number": (_("Number"), "id"),
    "name": (_("Customer"), None),
    "grade": (_("Grade"), None),
    "score": (_("Score"), "score"),
    "state": (_("Stage"), None),
    "owner": (_("Owner"), None),
    "next_due": (_("Next follow-up"), None),
    "channel": (_("Channel"), None),
    "contact": (_("Contact"), None),
    "industry": (_("Industry"), None),
    "region": (_("Region"), None),
    "acquired": (_("Acquired"), None),  # the number's order is the order of arrival
}
DEFAULT_COLUMNS = ["number", "name", "grade", "score", "state", "owner", "next_due", "channel"]
SORTS = {"-id", "id", "-score", "score"}  # each on an index, a page at a time
BULK_MOST = 500  # rows one bulk action may touch


def filters_from(request) -> LeadFilters:
    """The list's filters from the query string; an unreadable value filters nothing."""
    get = request.GET.get
    owner = get("owner", "")
    try:
        since = date.fromisoformat(get("since", ""))
    except ValueError:
        since = None
    return LeadFilters(
        q=get("q", ""),
        status=get("status", ""),
        channel=get("channel", ""),
        kind=get("kind", ""),
        owner_id=request.user.pk if owner == "me" else int(owner) if owner.isdigit() else None,
        stage=get("stage", "") if get("stage") in Stage.values else "",
        grade=get("grade", "") if get("grade") in ("A", "B", "C", "D") else "",
        since=datetime.combine(since, time.min, tzinfo=company_zone()) if since else None,
    )


def chosen_columns(request) -> list[str]:
    chosen = [key for key in request.GET.get("cols", "").split(",") if key in COLUMNS]
    return chosen or DEFAULT_COLUMNS


def _export_rows(leads):
    for lead in leads:
        yield [
            lead.number,
            lead.get_status_display(),
            lead.name,
            lead.contact_name,
            lead.mobile,
            lead.email,
            lead.industry,
            lead.need,
            lead.region,
            lead.channel.name,
            lead.channel_detail,
            lead.acquired_at,
            lead.owner,
            lead.score,
            lead.grade,
        ]


@login_required
def leads_page(request):
    leads = filtered_leads(request.user, filters_from(request))
    if request.GET.get("export"):
        rows = _export_rows(leads.order_by("-id")[:EXPORT_LIMIT])
        return export_from_request(request, name="leads", headers=EXPORT_HEADERS, rows=rows)
    sort = request.GET.get("sort", "-id")
    sort = sort if sort in SORTS else "-id"
    page, next_cursor = page_for_request(leads, request, sort=sort)
    personal_list_viewed(user=request.user, object_type="leads.lead", shown_whole=len(page))
    columns = chosen_columns(request)
    can_assign = request.user.has_permission(LEADS_ASSIGN)
    return render(
        request,
        "leads/list.html",
        {
            "leads": page,
            "next_cursor": next_cursor,
            "filters": request.GET,
            "statuses": [
                *(s for s in LeadStatus.choices if s[0] != LeadStatus.MERGED),
                (POOL_SOON, gettext("Going back to the pool soon")),
            ],
            "stages": Stage.choices,
            "channels": Channel.objects.filter(active=True),
            "first_page": not request.GET.get("cursor"),
            # In the list's own order, whatever order they were ticked in.
            "columns": [
                {"key": key, "label": label, "sort": sort}
                for key, (label, sort) in COLUMNS.items()
                if key in columns
            ],
            "show": dict.fromkeys(columns, True),
            "all_columns": [(key, label) for key, (label, _sort) in COLUMNS.items()],
            "chosen": columns,
            "sort": sort,
            "views": saved_views_of(request.user, PAGE),
            "page_key": PAGE,
            "can_assign": can_assign,
            "reps": User.objects.filter(is_active=True, rep_profile__isnull=False).order_by(
                "display_name"
            )
            if can_assign
            else [],
        },
    )


def _bulk_one(action: str, lead: Lead, request, rep: User | None) -> None:
    text = request.POST.get("text", "")
    if action == "assign":
        lead_assign_manual(lead=lead, rep=rep, reason=text, by=request.user)  # type: ignore[arg-type]
    elif action == "pool":
        lead_return_to_pool(lead=lead, by=request.user, reason=text)
    elif action == "tag":
        lead_tag_add(lead=lead, tag=text, by=request.user)


@require_POST
@login_required
def leads_bulk(request):
    """Run one action on the ticked leads the person may see, lead by lead through the
    same service as the lead page: what is refused is listed by number, the rest done."""
    action = request.POST.get("action", "")
    ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()][:BULK_MOST]
    back = request.POST.get("next", "")
    back = back if back.startswith("/leads/") else "/leads/"
    leads = leads_visible_to(request.user).filter(pk__in=ids)
    if not ids:
        messages.error(request, gettext("Tick the leads first."))
        return redirect(back)
    if action in ("xlsx", "csv"):
        return export_response(
            user=request.user,
            name="leads",
            fmt=action,
            headers=EXPORT_HEADERS,
            rows=_export_rows(leads.order_by("-id")),
            filters={"ids": ",".join(map(str, ids))},
        )
    if action not in ("assign", "pool", "tag"):
        messages.error(request, gettext("Choose what to do with the ticked leads."))
        return redirect(back)
    rep = None
    if action == "assign":
        if not request.user.has_permission(LEADS_ASSIGN):
            messages.error(request, gettext("Only whoever assigns leads gives them to reps."))
            return redirect(back)
        rep = User.objects.filter(pk=request.POST.get("rep") or 0, is_active=True).first()
        if rep is None:
            messages.error(request, gettext("Choose the rep to give the leads to."))
            return redirect(back)
    done, refused = 0, []
    for lead in leads.order_by("id"):
        try:
            _bulk_one(action, lead, request, rep)
        except DomainError as error:
            refused.append(f"{lead.number}：{error.message}")
        else:
            done += 1
    if done:
        messages.success(request, gettext("%(count)d leads done.") % {"count": done})
    if refused:
        messages.error(
            request,
            gettext("%(count)d leads were refused: %(which)s")
            % {"count": len(refused), "which": "；".join(refused[:10])},
        )
    return redirect(back)
