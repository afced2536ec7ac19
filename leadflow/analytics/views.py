from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.core.errors import DomainError
from leadflow.core.exports import export_from_request
from leadflow.core.ui import refused_message
from leadflow.sales.permissions import SALES_TARGETS

from .cockpit import cockpit
from .customers import customer_figures
from .marketing import channel_trend, cycle_by_grade, efficiency
from .models import Award, MonthClose, PerformanceMeasure
from .performance import (
    FIGURES,
    MeasureIn,
    award_decide,
    month_close,
    month_compute,
    month_of,
    results_visible_to,
    scheme_save,
)
from .queries import (
    Period,
    conversion,
    cycle_distribution,
    followup_quality,
    funnel,
    leads_by_channel,
    leads_by_month,
)


def _conversion_rows(rows):
    return (
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
    )


def _quality_rows(rows):
    return (
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
    )


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
GRADES = [_("leads"), "A", "B", "C"]
TABLES: dict[str, tuple[list[Any], Any]] = {
    "channels": (
        [_("channel"), *GRADES],
        lambda rows: ([r["channel_name"], r["total"], r["a"], r["b"], r["c"]] for r in rows),
    ),
    "months": (
        [_("month"), *GRADES],
        lambda rows: ([r["month"], r["total"], r["a"], r["b"], r["c"]] for r in rows),
    ),
    "funnel": ([_("stage"), _("leads")], lambda rows: ([r["label"], r["count"]] for r in rows)),
    "cycles": ([_("days"), _("won")], lambda rows: ([r["days"], r["won"]] for r in rows)),
    "conversion": ([_("channel"), *CONVERSION], _conversion_rows),
    "conversion_reps": ([_("rep"), *CONVERSION], _conversion_rows),
    "conversion_campaigns": ([_("campaign"), *CONVERSION], _conversion_rows),
    "reps": ([_("rep"), *QUALITY], _quality_rows),
    "teams": ([_("team"), *QUALITY], _quality_rows),
}


@login_required
def dashboard(request):
    """Lead analytics (ANA-1…3, ANA-6): every chart with its table, every table exportable,
    every figure within the viewer's data scope."""
    today = timezone.localdate()
    try:
        period = Period.parse(request.GET.get("start"), request.GET.get("end"), today)
        error = ""
    except DomainError as refused:
        period, error = Period.parse(None, None, today), refused.message
    figures = {
        "channels": leads_by_channel(request.user, period),
        "funnel": funnel(request.user, period, request.GET.get("channel", "")),
        "months": leads_by_month(request.user, period),
        "cycles": cycle_distribution(request.user, period),
        "conversion": conversion(request.user, period, "channel"),
        "conversion_reps": conversion(request.user, period, "owner"),
        "conversion_campaigns": conversion(request.user, period, "campaign"),
        "reps": followup_quality(request.user, period, "rep"),
        "teams": followup_quality(request.user, period, "team"),
    }
    table = request.GET.get("table", "")
    if request.GET.get("export") and table in TABLES:
        headers, rows = TABLES[table]
        return export_from_request(
            request,
            name=f"analytics-{table}-{period.start}-{period.end}",
            headers=headers,
            rows=rows(figures[table]),
        )
    return render(
        request,
        "analytics/dashboard.html",
        {"period": period, "error": error, "filters": request.GET, **figures},
    )


def _scheme_posted(post) -> list[MeasureIn]:
    """A row per figure whose weight was filled in (0 takes it out of the score)."""
    return [
        MeasureIn(
            code=code,
            weight=post[f"weight_{code}"],
            target_from=post.get(f"target_from_{code}", ""),
            target=post.get(f"target_{code}") or 0,
            cap_percent=post.get(f"cap_{code}") or 120,
        )
        for code in FIGURES
        if post.get(f"weight_{code}", "").strip()
    ]


@login_required
def performance_page(request):
    """Staff performance (MKT-7): the month's ranking, its awards, and for managers the
    buttons to compute and close it."""
    today = timezone.localdate()
    month = month_of(request.GET.get("month", ""), today)
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "compute":
                month_compute(month=month, by=request.user)
            elif action == "close":
                month_close(month=month, by=request.user)
            elif action == "scheme":
                scheme_save(rows=_scheme_posted(request.POST), by=request.user)
            elif action in ("confirm", "reject"):
                award = Award.objects.filter(pk=request.POST.get("award") or 0).first()
                if award is None:
                    raise Http404
                award_decide(award=award, by=request.user, confirm=action == "confirm")
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Saved."))
        return redirect(f"{request.path}?month={month:%Y-%m}")
    rows = results_visible_to(request.user, month)
    scheme = {m.code: m for m in PerformanceMeasure.objects.all()}
    if "export" in request.GET:
        headers = [gettext("Rank"), gettext("Rep"), gettext("Team")]
        headers += [str(label) for label in FIGURES.values()] + [gettext("Score")]
        table = (
            [r.rank, str(r.user), r.user.team.name if r.user.team else ""]
            + [r.figures.get(code) or "" for code in FIGURES]
            + [r.score]
            for r in rows
        )
        return export_from_request(request, name="performance", headers=headers, rows=table)
    return render(
        request,
        "analytics/performance.html",
        {
            "month": month,
            "previous": (month - timedelta(days=1)).replace(day=1),
            "following": (month + timedelta(days=32)).replace(day=1),
            "rows": rows,
            "figures": FIGURES.items(),
            "scheme": [m for m in scheme.values() if m.active],
            "scheme_rows": [(code, label, scheme.get(code)) for code, label in FIGURES.items()],
            "target_from": PerformanceMeasure.TargetFrom.choices,
            "closed": MonthClose.objects.filter(month=month).first(),
            "awards": Award.objects.filter(month=month).select_related("user"),
            "keeper": request.user.has_permission(SALES_TARGETS),
        },
    )


def _period_of(request) -> tuple[Period, str]:
    """The period in the query string, or this month with the reason it was refused."""
    today = timezone.localdate()
    try:
        return Period.parse(request.GET.get("start"), request.GET.get("end"), today), ""
    except DomainError as refused:
        return Period.parse(None, None, today), refused.message


def _export_or_page(request, template: str, tables: dict, name: str, context: dict):
    """A page whose every table exports (`?export=xlsx|csv&table=…`) with Chinese headers."""
    table = request.GET.get("table", "")
    if request.GET.get("export") and table in tables:
        headers, rows = tables[table]
        period = context["period"]
        return export_from_request(
            request,
            name=f"{name}-{table}-{period.start}-{period.end}",
            headers=headers,
            rows=rows,
        )
    return render(request, template, context)


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


def _customer_rows(rows):
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


@login_required
def customers_page(request):
    """Customer analytics (ANA-4) per owner and team, within the viewer's scope."""
    period, error = _period_of(request)
    figures = customer_figures(request.user, period, timezone.now())
    tables = {
        "owners": ([_("owner"), *CUSTOMER_COLUMNS], _customer_rows(figures["owners"])),
        "teams": ([_("team"), *CUSTOMER_COLUMNS], _customer_rows(figures["teams"])),
        "mix": (
            [_("category"), _("grade"), _("customers"), _("new")],
            [[r["category"], r["grade"], r["total"], r["new"]] for r in figures["mix"]],
        ),
        "movements": (
            [_("from grade"), _("to grade"), _("customers")],
            [[r["from"], r["to"], r["count"]] for r in figures["movements"]],
        ),
    }
    context = {"period": period, "error": error, **figures}
    return _export_or_page(request, "analytics/customers.html", tables, "customers", context)


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
    _("ROI"),
]


def _efficiency_rows(rows):
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


@login_required
def marketing_page(request):
    """Marketing analytics (ANA-5): channels and campaigns by cost and result, the channel
    trend month on month, and the lead → opportunity → deal cycle per grade (ANA-3)."""
    period, error = _period_of(request)
    channels = efficiency(request.user, period, "channel")
    campaigns = efficiency(request.user, period, "campaign")
    trend = channel_trend(request.user, timezone.localdate())
    cycles = cycle_by_grade(request.user, period)
    tables = {
        "channels": ([_("channel"), *EFFICIENCY_COLUMNS], _efficiency_rows(channels)),
        "campaigns": ([_("campaign"), *EFFICIENCY_COLUMNS], _efficiency_rows(campaigns)),
        "trend": (
            [_("channel"), *trend["months"]],
            [[c["key"], *c["leads"]] for c in trend["channels"]],
        ),
        "cycles": (
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
    context = {
        "period": period,
        "error": error,
        "channels": channels,
        "campaigns": campaigns,
        "trend": trend,
        "cycles": cycles,
        "strongest": channels[:3],
        "weakest": [row for row in channels if row["leads"] >= 10][-3:][::-1],
    }
    return _export_or_page(request, "analytics/marketing.html", tables, "marketing", context)


@login_required
def cockpit_page(request):
    """管理驾驶舱: the month against target and last year, the funnel, channels,
    receivables, complaints and risks, within the viewer's scope; tables export."""
    today, now = timezone.localdate(), timezone.now()
    figures = cockpit(request.user, now, today)
    period = Period(today.replace(day=1), today)
    tables = {
        "month": (
            [
                _("measure"),
                _("this month"),
                _("target"),
                _("completion %"),
                _("same days last year"),
            ],
            [[t.label, t.actual, t.target, t.completion, t.last_year] for t in figures["tiles"]],
        ),
        "grades": (
            [_("grade"), _("leads"), _("same days last year")],
            [[g["grade"], g["count"], g["last_year"]] for g in figures["grades"]],
        ),
        "funnel": ([_("stage"), _("leads")], [[r["label"], r["count"]] for r in figures["funnel"]]),
        "risks": (
            [_("risk"), _("what"), _("since")],
            [[r["kind"], r["what"], r["since"]] for r in figures["risks"]],
        ),
    }
    context = {"period": period, "today": today, **figures}
    return _export_or_page(request, "analytics/cockpit.html", tables, "cockpit", context)
