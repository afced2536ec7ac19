"""工作台: what each person has to do today and how their month is going, by what they
do. A rep sees their own to-dos, pipeline and target; whoever assigns leads sees their
team's; marketing sees today's leads by channel; customer service its open tickets.

Each card counts through the same scoped query as the list it links to, so the number on
the card is the number of rows the list shows.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Min, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.analytics.queries import Period, leads_by_channel, month_at_a_glance
from leadflow.approvals.queries import todo_count
from leadflow.core.display import percent
from leadflow.customers.cadence import contacts_due
from leadflow.leads.models import MAIN_PATH, Lead, LeadStatus, Stage
from leadflow.leads.permissions import LEADS_ASSIGN, LEADS_CLAIM, LEADS_IMPORT
from leadflow.leads.queries import due_leads, leads_visible_to
from leadflow.marketing.permissions import MARKETING_CAMPAIGNS
from leadflow.sales.targets import my_month
from leadflow.service.models import Ticket
from leadflow.service.permissions import SERVICE_DESK
from leadflow.service.tickets import tickets_visible_to


@dataclass(frozen=True)
class Card:
    label: str
    value: int | str
    url: str
    hint: str = ""
    alert: bool = False  # something is late


@dataclass
class Section:
    key: str
    title: str
    cards: list[Card] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # a small table under the cards
    extra: dict[str, Any] = field(default_factory=dict)


def _link(name: str, **params: Any) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(params)}" if params else url


def _end_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def _is_rep(user) -> bool:
    return user.has_permission(LEADS_CLAIM) or hasattr(user, "rep_profile")


def my_todos(user, now: datetime) -> Section:
    """A rep's day (LEAD-ASN-5, LEAD-FUP-1, CUS-5): leads to accept with the soonest
    deadline, first contacts and follow-ups due by tonight or late, customers due a
    contact, approvals waiting."""
    tonight = _end_of_today(now)
    accepted = Q(status=LeadStatus.ACCEPTED, next_due_at__isnull=False)
    counts = Lead.objects.filter(
        owner=user, status__in=(LeadStatus.ASSIGNED, LeadStatus.ACCEPTED)
    ).aggregate(
        to_accept=Count("id", filter=Q(status=LeadStatus.ASSIGNED)),
        accept_by=Min("accept_by", filter=Q(status=LeadStatus.ASSIGNED)),
        first_contact=Count(
            "id", filter=accepted & Q(first_contact_at__isnull=True, next_due_at__lt=tonight)
        ),
        overdue=Count("id", filter=accepted & Q(next_due_at__lt=now)),
        today=Count("id", filter=accepted & Q(next_due_at__gte=now, next_due_at__lt=tonight)),
    )
    customers = contacts_due(user, "overdue", now).filter(owner=user).count()
    approvals = todo_count(user)
    accept_by = counts["accept_by"]
    cards = [
        Card(
            _("Leads to accept"),
            counts["to_accept"],
            reverse("lead_inbox"),
            hint=_("first deadline %(when)s") % {"when": _short(accept_by)} if accept_by else "",
            alert=accept_by is not None and accept_by < now,
        ),
        Card(
            _("First contacts due"),
            counts["first_contact"],
            _link("followups", when="due", first=1, mine=1),
            hint=_("by tonight, late ones included"),
        ),
        Card(
            _("Overdue follow-ups"),
            counts["overdue"],
            _link("followups", when="overdue", mine=1),
            alert=counts["overdue"] > 0,
        ),
        Card(_("Follow-ups due today"), counts["today"], _link("followups", when="today", mine=1)),
        Card(
            _("Customers due a contact"),
            customers,
            _link("customer_cadence", when="overdue", mine=1),
            alert=customers > 0,
        ),
    ]
    if approvals:
        cards.append(Card(_("Approvals waiting for me"), approvals, reverse("approvals")))
    return Section("mine", _("My to-dos"), cards)


def _short(when: datetime) -> str:
    return timezone.localtime(when).strftime("%m-%d %H:%M")


def my_pipeline(user, today) -> Section:
    """My accepted leads by stage, and what I won this month (LEAD-STS-1)."""
    mine = Lead.objects.filter(owner=user, status=LeadStatus.ACCEPTED)
    by_stage = dict(
        mine.exclude(stage=Stage.WON)
        .order_by()
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    won = mine.filter(stage=Stage.WON, deal_date__gte=today.replace(day=1)).aggregate(
        n=Count("id"), amount=Sum("deal_amount")
    )
    labels = dict(Stage.choices)
    rows = [
        {
            "label": labels[stage],
            "count": by_stage.get(stage, 0),
            "url": _link("leads", owner="me", stage=stage),
        }
        for stage in MAIN_PATH
        if stage != Stage.WON
    ]
    section = Section("pipeline", _("My pipeline"), rows=rows)
    section.extra = {
        "won": won["n"],
        "won_amount": won["amount"] or Decimal("0.00"),
        "won_url": _link("leads", owner="me", stage=Stage.WON),
        "target": my_month(user, today),
    }
    return section


def team_overview(user, now: datetime, today) -> Section:
    """For whoever assigns leads (LEAD-ASN, LEAD-FUP-3, ANA-1/2): their team's late
    follow-ups, leads nobody has yet, customers overdue for a contact, and this month's
    first-contact timeliness and conversion, all through their data scope."""
    overdue = due_leads(user, "overdue", now=now).count()
    unassigned = leads_visible_to(user).filter(status=LeadStatus.TO_ASSIGN).count()
    customers = contacts_due(user, "overdue", now).count()
    month = month_at_a_glance(user, Period(today.replace(day=1), today))
    analytics = reverse("analytics")
    cards = [
        Card(
            _("Team's overdue follow-ups"),
            overdue,
            _link("followups", when="overdue"),
            alert=overdue > 0,
        ),
        Card(_("Leads to assign"), unassigned, _link("leads", status=LeadStatus.TO_ASSIGN)),
        Card(
            _("Customers overdue for a contact"),
            customers,
            _link("customer_cadence", when="overdue"),
            alert=customers > 0,
        ),
        Card(
            _("First contact on time this month"),
            percent(month["timeliness"], ratio=True),
            analytics,
            hint=_("%(on_time)s of %(accepted)s accepted") % month,
        ),
        Card(
            _("Conversion this month"),
            percent(month["conversion"], ratio=True),
            analytics,
            hint=_("%(won)s won of %(leads)s leads") % month,
        ),
    ]
    return Section("team", _("My team"), cards)


def todays_leads(user, today) -> Section:
    """Marketing's morning (ANA-1): today's leads by channel and grade."""
    rows = leads_by_channel(user, Period(today, today))
    since = today.isoformat()
    for row in rows:
        row["url"] = _link("leads", channel=row["channel"], since=since)
    total = sum(row["total"] for row in rows)
    grade_a = sum(row["a"] for row in rows)
    cards = [
        Card(_("New leads today"), total, _link("leads", since=since)),
        Card(_("Grade A today"), grade_a, _link("leads", since=since, grade="A")),
    ]
    return Section("marketing", _("Today's leads"), cards, rows=rows)


def open_tickets(user) -> Section:
    """Customer service (SVC): open tickets, those past a deadline, and the agent's own."""
    tickets = tickets_visible_to(user)
    counts = tickets.filter(state__in=Ticket.OPEN).aggregate(
        open=Count("id"),
        mine=Count("id", filter=Q(assignee=user) | Q(received_by=user)),
    )
    overdue = (
        tickets.filter(clocks__missed_at__isnull=False, clocks__met_at__isnull=True)
        .distinct()
        .count()
    )
    cards = [
        Card(_("Open tickets"), counts["open"], _link("tickets", state="open")),
        Card(
            _("Tickets past a deadline"),
            overdue,
            _link("tickets", when="overdue"),
            alert=overdue > 0,
        ),
        Card(_("My open tickets"), counts["mine"], _link("tickets", state="open", when="mine")),
    ]
    return Section("service", _("Service desk"), cards)


def workbench(user, now: datetime | None = None) -> list[Section]:
    """The sections this user's work calls for, in the order they read them."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sections = []
    if _is_rep(user):
        sections += [my_todos(user, now), my_pipeline(user, today)]
    if user.has_permission(LEADS_ASSIGN):
        sections.append(team_overview(user, now, today))
    if user.has_permission(MARKETING_CAMPAIGNS) or user.has_permission(LEADS_IMPORT):
        sections.append(todays_leads(user, today))
    if user.has_permission(SERVICE_DESK):
        sections.append(open_tickets(user))
    return sections
