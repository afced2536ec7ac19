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
from .queries import Period
from .reports import Report, cockpit_report, customer_report, lead_report, marketing_report
from .subscriptions import report_subscribe, report_unsubscribe


@login_required
def dashboard(request):
    """Lead analytics (ANA-1…3, ANA-6): every chart with its table, every table exportable,
    every figure within the viewer's data scope."""
    period, error = _period_of(request)
    report = lead_report(request.user, period, channel=request.GET.get("channel", ""))
    context = {"period": period, "error": error, "filters": request.GET, **report.figures}
    return _export_or_page(request, "analytics/dashboard.html", report, "analytics", context)


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


def _export_or_page(request, template: str, report: Report, name: str, context: dict):
    """A page whose every table exports (`?export=xlsx|csv&table=…`) with Chinese headers."""
    table = report.tables.get(request.GET.get("table", ""))
    if request.GET.get("export") and table is not None:
        period = context["period"]
        return export_from_request(
            request,
            name=f"{name}-{request.GET['table']}-{period.start}-{period.end}",
            headers=table.headers,
            rows=table.rows,
        )
    return render(request, template, context)


@login_required
def customers_page(request):
    """Customer analytics (ANA-4) per owner and team, within the viewer's scope."""
    period, error = _period_of(request)
    report = customer_report(request.user, period, timezone.now())
    context = {"period": period, "error": error, **report.figures}
    return _export_or_page(request, "analytics/customers.html", report, "customers", context)


@login_required
def marketing_page(request):
    """Marketing analytics (ANA-5): channels and campaigns by cost and result, the channel
    trend month on month, and the lead → opportunity → deal cycle per grade (ANA-3)."""
    period, error = _period_of(request)
    report = marketing_report(request.user, period, timezone.localdate())
    context = {"period": period, "error": error, **report.figures}
    return _export_or_page(request, "analytics/marketing.html", report, "marketing", context)


@login_required
def cockpit_page(request):
    """管理驾驶舱: the month against target and last year, the funnel, channels,
    receivables, complaints and risks, within the viewer's scope; tables export."""
    today, now = timezone.localdate(), timezone.now()
    report = cockpit_report(request.user, now, today)
    period = Period(today.replace(day=1), today)
    context = {"period": period, "today": today, **report.figures}
    return _export_or_page(request, "analytics/cockpit.html", report, "cockpit", context)


@login_required
def subscriptions_page(request):
    """Report emails (#26): the viewer's subscriptions; subscribe from any analytics page,
    cancel here."""
    if request.method == "POST":
        cancel = request.POST.get("cancel", "")
        try:
            if cancel:
                report_unsubscribe(
                    user=request.user, subscription_id=int(cancel) if cancel.isdigit() else 0
                )
                messages.success(request, gettext("Cancelled."))
            else:
                subscription = report_subscribe(
                    user=request.user,
                    report=request.POST.get("report", ""),
                    frequency=request.POST.get("frequency", ""),
                )
                messages.success(
                    request,
                    gettext("Subscribed: the first email goes out %(when)s.")
                    % {"when": f"{timezone.localtime(subscription.next_send_at):%Y-%m-%d %H:%M}"},
                )
        except DomainError as error:
            refused_message(request, error)
        return redirect("report_subscriptions")
    return render(
        request,
        "analytics/subscriptions.html",
        {"subscriptions": request.user.report_subscriptions.all(), "period": None},
    )
