from django.shortcuts import render

from .errors import DomainError


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
