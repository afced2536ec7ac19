"""The sidebar. Each entry names the URL, the permission it needs (None: everyone signed
in) and whether the area is built yet; areas still to come show as "coming soon"."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from leadflow.approvals.permissions import APPROVALS_CONFIGURE
from leadflow.approvals.queries import todo_count
from leadflow.core.permissions import (
    ACCOUNTS_MANAGE,
    AUDIT_VIEW,
    NOTIFY_MANAGE,
    SETTINGS_MANAGE,
)
from leadflow.journeys.permissions import JOURNEYS_MANAGE
from leadflow.leads.permissions import LEADS_ASSIGN, LEADS_CLAIM, LEADS_CONFIGURE
from leadflow.mailing.permissions import MAILING_SEND
from leadflow.service.permissions import SERVICE_MANAGE


@dataclass(frozen=True)
class NavItem:
    label: object
    url_name: str
    icon: str
    permission: str | None = None
    area: str = ""  # for "coming soon" pages
    count: Callable[[Any], int] | None = None  # a badge: how many wait for the user


WORK = [
    NavItem(_("Dashboard"), "home", "home"),
    NavItem(_("Approvals"), "approvals", "check", count=todo_count),
    NavItem(_("Leads"), "leads", "inbox"),
    NavItem(_("My new leads"), "lead_inbox", "check"),
    NavItem(_("Follow-ups"), "followups", "clock"),
    NavItem(_("Stage board"), "stage_board", "trending"),
    NavItem(_("Public pool"), "lead_pool", "inbox", LEADS_CLAIM),
    NavItem(_("Assignment"), "assignment_board", "users", LEADS_ASSIGN),
    NavItem(_("Supervision"), "supervision", "eye", LEADS_ASSIGN),
    NavItem(_("Customers"), "customers", "users"),
    NavItem(_("Contact cadence"), "customer_cadence", "clock"),
    NavItem(_("Contracts"), "contracts", "trending"),
    NavItem(_("Sales targets"), "sales_targets", "chart"),
    NavItem(_("Staff performance"), "performance", "trending"),
    NavItem(_("Service tickets"), "tickets", "lifebuoy"),
    NavItem(_("Improvements"), "service_improvements", "check"),
    NavItem(_("Service reports"), "service_reports", "chart"),
    NavItem(_("Campaigns"), "campaigns", "megaphone"),
    NavItem(_("Expense claims"), "claims", "send"),
    NavItem(_("Email"), "email_sends", "send", MAILING_SEND),
    NavItem(_("Automation"), "journeys", "zap", JOURNEYS_MANAGE),
    NavItem(_("Management cockpit"), "cockpit", "chart"),
    NavItem(_("Analytics"), "analytics", "chart"),
]

ADMIN = [
    NavItem(_("Lead settings"), "lead_settings", "sliders", LEADS_CONFIGURE),
    NavItem(_("Score rules"), "score_rules", "sliders", LEADS_CONFIGURE),
    NavItem(_("Predictive score"), "prediction", "trending", LEADS_CONFIGURE),
    NavItem(_("Users"), "users", "user", ACCOUNTS_MANAGE),
    NavItem(_("Organisation"), "org", "tree", ACCOUNTS_MANAGE),
    NavItem(_("Roles"), "roles", "shield", ACCOUNTS_MANAGE),
    NavItem(_("Settings"), "settings", "sliders", SETTINGS_MANAGE),
    NavItem(_("Holidays"), "holidays", "calendar", SETTINGS_MANAGE),
    NavItem(_("Robots"), "robots", "bot", NOTIFY_MANAGE),
    NavItem(_("Deliveries"), "deliveries", "send", NOTIFY_MANAGE),
    NavItem(_("Approval flows"), "approval_flows", "sliders", APPROVALS_CONFIGURE),
    NavItem(_("Service lists"), "service_options", "sliders", SERVICE_MANAGE),
    NavItem(_("Audit log"), "audit", "eye", AUDIT_VIEW),
]


def _visible(user, items: list[NavItem], path: str) -> list[dict]:
    entries = []
    for item in items:
        if item.permission and not user.has_permission(item.permission):
            continue
        url = reverse(item.url_name, args=[item.area]) if item.area else reverse(item.url_name)
        active = path == url if url == "/" else path.startswith(url)
        entries.append(
            {
                "label": item.label,
                "url": url,
                "icon": item.icon,
                "active": active,
                "soon": bool(item.area),
                "count": item.count(user) if item.count else 0,
            }
        )
    # /leads/inbox/ is under /leads/ too: only the most specific entry is lit.
    longest = max((len(str(entry["url"])) for entry in entries if entry["active"]), default=0)
    for entry in entries:
        entry["active"] = bool(entry["active"]) and len(str(entry["url"])) == longest
    return entries


def navigation(user, path: str) -> dict[str, list[dict]]:
    return {"work": _visible(user, WORK, path), "admin": _visible(user, ADMIN, path)}
