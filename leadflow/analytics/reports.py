"""The analytics reports as tables (ANA-6): each report's figures and the tables its page
shows, exports one by one (XLSX/CSV) and a scheduled report sends together (one sheet
each) — one builder per report, so the page, its exports and the email say the same.

Every builder takes the viewer and reads within their data scope.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User

from .cockpit import cockpit
from .customers import customer_figures
from .marketing import channel_trend, cycle_by_grade, efficiency
from .queries import (
    Period,
    conversion,
    cycle_distribution,
    followup_quality,
    funnel,
    leads_by_channel,
    leads_by_month,
)


@dataclass(frozen=True)
class Table:
    title: Any  # a sheet's name
    headers: list[Any]
    rows: list[list[Any]]


@dataclass(frozen=True)
class Report:
    figures: dict[str, Any]
    tables: dict[str, Table]


GRADES = [_("leads"), "A", "B", "C"]
CONVERSION = [
    _("leads"),
    _("won"),
    _("rate"),
    _("amount"),
    _("average order"),
    _("median cycle (days)"),
]
QUALITY = [
    _("accepted"),
    _("first contact on time"),
    _("timeliness"),
    _("followed"),
    _("success"),
    _("follow-ups per lead"),
]


def _conversion(title: Any, key: Any, rows: list[dict[str, Any]]) -> Table:
    return Table(
        title,
        [key, *CONVERSION],
        [
            [
                r["key"],
                r["leads"],
                r["won"],
                r["rate"],
                r["amount"],
                r["average_order"],
                r["median_cycle_days"],
            ]
            for r in rows
        ],
    )


def _quality(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            r["name"],
            r["accepted"],
            r["on_time"],
            r["timeliness"],
            r["followed"],
            r["success"],
            r["followups_per_lead"],
        ]
        for r in rows
    ]


def lead_report(user: User, period: Period, *, channel: str = "") -> Report:
    """Lead analytics (ANA-1…3)."""
    figures = {
        "channels": leads_by_channel(user, period),
        "funnel": funnel(user, period, channel),
        "months": leads_by_month(user, period),
        "cycles": cycle_distribution(user, period),
        "conversion": conversion(user, period, "channel"),
        "conversion_reps": conversion(user, period, "owner"),
        "conversion_campaigns": conversion(user, period, "campaign"),
        "reps": followup_quality(user, period, "rep"),
        "teams": followup_quality(user, period, "team"),
    }

    tables = {
        "channels": Table(
            _("Leads by channel and grade"),
            [_("channel"), *GRADES],
            [[r["channel_name"], r["total"], r["a"], r["b"], r["c"]] for r in figures["channels"]],
        ),
        "months": Table(
            _("Leads per month"),
            [_("month"), *GRADES],
            [[r["month"], r["total"], r["a"], r["b"], r["c"]] for r in figures["months"]],
        ),
        "funnel": Table(
            _("Funnel by stage"),
            [_("stage"), _("leads")],
            [[r["label"], r["count"]] for r in figures["funnel"]],
        ),
        "cycles": Table(
            _("Cycle time from capture to win"),
            [_("days"), _("won")],
            [[r["days"], r["won"]] for r in figures["cycles"]],
        ),
        "conversion": _conversion(_("Conversion by channel"), _("channel"), figures["conversion"]),
        "conversion_reps": _conversion(
            _("Conversion by rep"), _("rep"), figures["conversion_reps"]
        ),
        "conversion_campaigns": _conversion(
            _("Conversion by campaign"), _("campaign"), figures["conversion_campaigns"]
        ),
        "reps": Table(_("Follow-up per rep"), [_("rep"), *QUALITY], _quality(figures["reps"])),
        "teams": Table(_("Follow-up per team"), [_("team"), *QUALITY], _quality(figures["teams"])),
    }
    return Report(figures, tables)


CUSTOMER_COLUMNS = [
    _("customers"),
    _("new"),
    _("key accounts"),
    _("at risk"),
    _("cadence kept"),
    _("churned"),
    _("churn rate"),
    _("buyers"),
    _("repeat buyers"),
    _("repeat rate"),
]


def _customer_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            r["key"],
            r["customers"],
            r["new"],
            r["key_accounts"],
            r["at_risk"],
            r["cadence"],
            r["churned"],
            r["churn_rate"],
            r["buyers"],
            r["repeat_buyers"],
            r["repeat_rate"],
        ]
        for r in rows
    ]


def customer_report(user: User, period: Period, now: datetime) -> Report:
    """Customer analytics (ANA-4)."""
    figures = customer_figures(user, period, now)
    tables = {
        "owners": Table(
            _("Per owner"), [_("owner"), *CUSTOMER_COLUMNS], _customer_rows(figures["owners"])
        ),
        "teams": Table(
            _("Per team"), [_("team"), *CUSTOMER_COLUMNS], _customer_rows(figures["teams"])
        ),
        "mix": Table(
            _("Categories and grades"),
            [_("category"), _("grade"), _("customers"), _("new")],
            [[r["category"], r["grade"], r["total"], r["new"]] for r in figures["mix"]],
        ),
        "movements": Table(
            _("Grade movements"),
            [_("from grade"), _("to grade"), _("customers")],
            [[r["from"], r["to"], r["count"]] for r in figures["movements"]],
        ),
    }
    return Report(figures, tables)


EFFICIENCY_COLUMNS = [
    _("leads"),
    "A",
    "B",
    "C",
    _("won"),
    _("conversion rate"),
    _("sales"),
    _("cost"),
    _("cost per lead"),
    _("cost per grade-A lead"),
    "ROI",
]


def _efficiency_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            r["key"],
            r["leads"],
            r["a"],
            r["b"],
            r["c"],
            r["won"],
            r["rate"],
            r["sales"],
            r["cost"],
            r["cost_per_lead"],
            r["cost_per_a_lead"],
            r["roi"],
        ]
        for r in rows
    ]


def marketing_report(user: User, period: Period, today: date) -> Report:
    """Marketing analytics (ANA-5) and the cycle per grade (ANA-3)."""
    channels = efficiency(user, period, "channel")
    campaigns = efficiency(user, period, "campaign")
    trend = channel_trend(user, today)
    cycles = cycle_by_grade(user, period)
    figures = {
        "channels": channels,
        "campaigns": campaigns,
        "trend": trend,
        "cycles": cycles,
        "strongest": channels[:3],
        "weakest": [row for row in channels if row["leads"] >= 10][-3:][::-1],
    }
    tables = {
        "channels": Table(
            _("Channels"), [_("channel"), *EFFICIENCY_COLUMNS], _efficiency_rows(channels)
        ),
        "campaigns": Table(
            _("Campaigns"), [_("campaign"), *EFFICIENCY_COLUMNS], _efficiency_rows(campaigns)
        ),
        "trend": Table(
            _("Leads per channel, month on month"),
            [_("channel"), *trend["months"]],
            [[c["key"], *c["leads"]] for c in trend["channels"]],
        ),
        "cycles": Table(
            _("Lead → opportunity → deal, per grade"),
            [
                _("grade"),
                _("won"),
                _("days to opportunity"),
                _("days from opportunity to deal"),
                _("average cycle (days)"),
                _("median cycle (days)"),
            ],
            [
                [r["grade"], r["won"], r["to_opportunity"], r["to_deal"], r["average"], r["median"]]
                for r in cycles
            ],
        ),
    }
    return Report(figures, tables)


def cockpit_report(user: User, now: datetime, today: date) -> Report:
    """管理驾驶舱."""
    figures = cockpit(user, now, today)
    tables = {
        "month": Table(
            _("This month"),
            [
                _("measure"),
                _("this month"),
                _("target"),
                _("completion %"),
                _("same days last year"),
            ],
            [[t.label, t.actual, t.target, t.completion, t.last_year] for t in figures["tiles"]],
        ),
        "grades": Table(
            _("Leads by grade"),
            [_("grade"), _("leads"), _("same days last year")],
            [[g["grade"], g["count"], g["last_year"]] for g in figures["grades"]],
        ),
        "funnel": Table(
            _("Funnel this month"),
            [_("stage"), _("leads")],
            [[r["label"], r["count"]] for r in figures["funnel"]],
        ),
        "risks": Table(
            _("The five biggest risks"),
            [_("risk"), _("what"), _("since")],
            [[r["kind"], r["what"], r["since"]] for r in figures["risks"]],
        ),
    }
    return Report(figures, tables)


# What a scheduled report sends: code → (name, the report over a period for a user).
REPORTS: dict[str, tuple[Any, Callable[[User, Period, datetime], Report]]] = {
    "leads": (_("Lead analytics"), lambda user, period, now: lead_report(user, period)),
    "customers": (_("Customer analytics"), customer_report),
    "marketing": (
        _("Marketing analytics"),
        lambda user, period, now: marketing_report(user, period, period.end),
    ),
    "cockpit": (
        _("Management cockpit"),
        lambda user, period, now: cockpit_report(user, now, period.end),
    ),
}
