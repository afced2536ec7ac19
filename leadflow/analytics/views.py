from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from leadflow.core.errors import DomainError
from leadflow.core.exports import export_from_request
from leadflow.core.ui import refused_message
from leadflow.sales.permissions import SALES_TARGETS

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


CONVERSION = ["leads", "won", "rate", "amount", "average order", "median cycle (days)"]
QUALITY = [
    "accepted",
    "first contact on time",
    "timeliness",
    "followed",
    "success",
    "follow-ups per lead",
]
GRADES = ["leads", "A", "B", "C"]
TABLES = {
    "channels": (
        ["channel", *GRADES],
        lambda rows: ([r["channel_name"], r["total"], r["a"], r["b"], r["c"]] for r in rows),
    ),
    "months": (
        ["month", *GRADES],
        lambda rows: ([r["month"], r["total"], r["a"], r["b"], r["c"]] for r in rows),
    ),
    "funnel": (["stage", "leads"], lambda rows: ([r["label"], r["count"]] for r in rows)),
    "cycles": (["days", "won"], lambda rows: ([r["days"], r["won"]] for r in rows)),
    "conversion": (["channel", *CONVERSION], _conversion_rows),
    "conversion_reps": (["rep", *CONVERSION], _conversion_rows),
    "conversion_campaigns": (["campaign", *CONVERSION], _conversion_rows),
    "reps": (["rep", *QUALITY], _quality_rows),
    "teams": (["team", *QUALITY], _quality_rows),
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
