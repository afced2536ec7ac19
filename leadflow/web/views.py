from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.core.audit import audit_entries
from leadflow.core.health import health_report
from leadflow.notify.inbox import notifications_for

from .navigation import WORK
from .workbench import workbench

AREAS = {
    "sales": _("Deals, targets, contracts and receivables."),
    "service": _("Inquiries, complaints and satisfaction surveys."),
    "marketing": _("Campaigns, research, budgets and expenses."),
    "automation": _("Journeys, email templates, tracking and A/B tests."),
}


@login_required
def home(request):
    context = {
        "sections": workbench(request.user),
        "notifications": notifications_for(request.user)[:6],
        "activity": audit_entries(actor_id=request.user.pk)[:8],
    }
    if request.user.is_superuser or request.user.has_permission("settings.manage"):
        context["health"] = health_report()[1]
    return render(request, "web/home.html", context)


@login_required
def coming_soon(request, area: str):
    if area not in AREAS:
        raise Http404(area)
    label = next(item.label for item in WORK if item.area == area)
    return render(request, "web/coming_soon.html", {"area": label, "description": AREAS[area]})


def _error_page(request, status: int):
    """The error page: in the app's frame for someone signed in, in the sign-in frame for
    anyone else (no bell, menu or sign-out to offer)."""
    return render(request, "web/error.html", {"status": status}, status=status)


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"code": "not_found", "message": gettext("No such endpoint."), "fields": {}}},
            status=404,
            json_dumps_params={"ensure_ascii": False},
        )
    return _error_page(request, 404)


def forbidden(request, exception=None):
    return _error_page(request, 403)


def server_error(request):
    if request.path.startswith("/api/"):
        message = gettext("Something went wrong on our side; it has been logged.")
        return JsonResponse(
            {"error": {"code": "internal_error", "message": message, "fields": {}}},
            status=500,
            json_dumps_params={"ensure_ascii": False},
        )
    return _error_page(request, 500)
