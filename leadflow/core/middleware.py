from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext

from .errors import DomainError, ValidationFailed, error_body
from .storable import text_problem


class HealthCheckMiddleware:
    """/healthz answered ahead of every other middleware (#27 goal 4): a load balancer's
    poll needs no session, language, CSRF check, user or messages, and together they cost
    as much as the health check itself."""

    def __init__(self, get_response):
        from .views import healthz  # the views need the app registry, ready by now

        self.get_response = get_response
        self.healthz = healthz

    def __call__(self, request):
        if request.path_info == "/healthz":
            return self.healthz(request)
        return self.get_response(request)


class UnstorableQueryMiddleware:
    """A query string holding text the databases cannot store alike (a NUL, a lone
    surrogate: SEC-5) is refused before any view reads it, naming the parameter; on
    PostgreSQL the first query using it would fail with a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problems = {
            name or "query": problem
            for name, values in request.GET.lists()
            for text in (name, *values)
            if (problem := text_problem(text))
        }
        if not problems:
            return self.get_response(request)
        error = ValidationFailed(gettext("The request is not valid."), fields=problems)
        if request.path.startswith("/api/"):
            body = error_body(error.code, error.message, error.fields)
            return JsonResponse(
                body, status=error.status, json_dumps_params={"ensure_ascii": False}
            )
        context = {"status": error.status, "message": error.message}
        return render(request, "web/error.html", context, status=error.status)


class DomainErrorMiddleware:
    """A refused service call that a page did not handle itself becomes an error page with
    the fitting status and the service's message, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            return render(
                request,
                "web/error.html",
                {"status": exception.status, "message": exception.message},
                status=exception.status,
            )
        return None
