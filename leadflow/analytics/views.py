from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from leadflow.core.errors import DomainError
from leadflow.core.exports import export_response

from .queries import Period, conversion, followup_by_rep, funnel, leads_by_channel

TABLES = {
    "channels": (
        ["channel", "leads", "A", "B", "C"],
        lambda rows: ([r["channel_name"], r["total"], r["a"], r["b"], r["c"]] for r in rows),
    ),
    "funnel": (["stage", "leads"], lambda rows: ([r["label"], r["count"]] for r in rows)),
    "conversion": (
        ["channel", "leads", "won", "rate", "amount", "average order", "median cycle (days)"],
        lambda rows: (
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
        ),
    ),
    "reps": (
        [
            "rep",
            "accepted",
            "first contact on time",
            "timeliness",
            "followed",
            "success",
            "follow-ups per lead",
        ],
        lambda rows: (
            [
                r["rep"],
                r["accepted"],
                r["on_time"],
                r["timeliness"],
                r["followed"],
                r["success"],
                r["followups_per_lead"],
            ]
            for r in rows
        ),
    ),
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
        "conversion": conversion(request.user, period, "channel"),
        "reps": followup_by_rep(request.user, period),
    }
    table = request.GET.get("table", "")
    if request.GET.get("export") and table in TABLES:
        headers, rows = TABLES[table]
        return export_response(
            user=request.user,
            name=f"analytics-{table}-{period.start}-{period.end}",
            fmt=request.GET["export"],
            headers=headers,
            rows=rows(figures[table]),
            filters=dict(request.GET.items()),
        )
    return render(
        request,
        "analytics/dashboard.html",
        {"period": period, "error": error, "filters": request.GET, **figures},
    )
