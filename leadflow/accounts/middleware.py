from urllib.parse import urlencode

from django.shortcuts import redirect

from leadflow.core.context import client_ip, ip_from_request

from .login import agreement_needed

# Paths a signed-in user may reach before accepting the confidentiality agreement.
OPEN_PREFIXES = (
    "/agreement/",
    "/logout/",
    "/login/",
    "/static/",
    "/i18n/",
    "/healthz",
    "/api/",
    "/f/",
)


class RequestContextMiddleware:
    """Remember the client address for the audit log during this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(ip_from_request(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)


class ConfidentialityAgreementMiddleware:
    """Send a signed-in user who has not accepted the current agreement to read it first
    (SEC-4). The API answers 403 `agreement_required` instead (see leadflow.api)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The path first: an API call or a form post never loads the session's user here.
        if (
            not request.path.startswith(OPEN_PREFIXES)
            and request.user.is_authenticated
            and agreement_needed(request.user)
        ):
            return redirect(f"/agreement/?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
