"""The REST API at /api/v1/: one NinjaAPI, token or session auth, one error format.

Every error answers {"error": {"code", "message", "fields"}} with the fitting status;
a stack trace never leaves the server.
"""

import json
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import DataError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer, SessionAuth

from leadflow.accounts.api import router as accounts_router
from leadflow.accounts.login import agreement_needed
from leadflow.accounts.tokens import token_user
from leadflow.analytics.api import router as analytics_router
from leadflow.approvals.api import router as approvals_router
from leadflow.core.api import router as core_router
from leadflow.core.errors import DomainError, Forbidden, ValidationFailed, error_body
from leadflow.core.storable import unstorable_text
from leadflow.customers.api import router as customers_router
from leadflow.journeys.api import router as journeys_router
from leadflow.leads.api import router as leads_router
from leadflow.mailing.api import router as mailing_router
from leadflow.marketing.api import router as marketing_router
from leadflow.notify.api import router as notify_router
from leadflow.sales.api import router as sales_router
from leadflow.service.api import router as service_router

logger = logging.getLogger(__name__)


def _require_agreement(user):
    if agreement_needed(user):
        raise Forbidden(
            gettext(
                "Sign in to the web app once and accept the confidentiality agreement before "
                "using the API."
            ),
            code="agreement_required",
        )
    return user


class BearerToken(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str):
        user = token_user(token)
        if user is None:
            return None
        request.user = user
        return _require_agreement(user)


class Session(SessionAuth):
    """The signed-in browser session (CSRF-checked for unsafe methods)."""

    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        return _require_agreement(user) if user else None


class StorableJSON(Parser):
    """JSON bodies whose every string the databases can store (no NUL, no lone
    surrogate): refused as a 422 naming the field, the same on SQLite and PostgreSQL."""

    def parse_body(self, request: HttpRequest):
        body = json.loads(request.body)
        if problems := unstorable_text(body):
            # ninja turns any parser error into its 400; `http_error` finds this one again.
            raise ValidationFailed("The request is not valid.", fields=problems)
        return body


class ReadableJSON(JSONRenderer):
    """JSON with Chinese as it is written (名称, not \\u540d\\u79f0): readable in curl and
    logs, and shorter on the wire; still UTF-8 JSON that every client parses."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="leadflow API",
    version="1",
    description=(
        "Sales leads and customers. Authenticate with `Authorization: Bearer <token>` "
        "(`leadflow token create USERNAME`, or your profile page). Errors are "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    auth=[BearerToken(), Session()],
    urls_namespace="api",
    docs_url=None,
    parser=StorableJSON(),
    renderer=ReadableJSON(),
)


@api.exception_handler(DomainError)
def domain_error(request, error: DomainError):
    return api.create_response(
        request, error_body(error.code, error.message, error.fields), status=error.status
    )


@api.exception_handler(NinjaValidationError)
def validation_error(request, error: NinjaValidationError):
    fields = {}
    for item in error.errors:
        location = [
            str(part)
            for part in item.get("loc", [])
            if part not in ("body", "query", "path", "payload")
        ]  # noqa: E501
        fields[".".join(location) or "request"] = _reason(item)
    return api.create_response(
        request,
        error_body("validation_error", gettext("The request is not valid."), fields),
        status=422,
    )


# What pydantic's error types mean, in the reader's language (its own messages are English).
REASONS = {
    "missing": _("required"),
    "int_parsing": _("a whole number is expected"),
    "int_type": _("a whole number is expected"),
    "int_from_float": _("a whole number is expected"),
    "float_parsing": _("a number is expected"),
    "float_type": _("a number is expected"),
    "decimal_parsing": _("a number is expected"),
    "decimal_type": _("a number is expected"),
    "bool_parsing": _("true or false is expected"),
    "bool_type": _("true or false is expected"),
    "string_type": _("text is expected"),
    "string_too_long": _("too long"),
    "string_too_short": _("too short"),
    "date_parsing": _("a date YYYY-MM-DD is expected"),
    "date_from_datetime_parsing": _("a date YYYY-MM-DD is expected"),
    "date_type": _("a date YYYY-MM-DD is expected"),
    "datetime_parsing": _("a date and time (ISO 8601) is expected"),
    "datetime_from_date_parsing": _("a date and time (ISO 8601) is expected"),
    "datetime_type": _("a date and time (ISO 8601) is expected"),
    "model_type": _("a JSON object is expected"),
    "dict_type": _("a JSON object is expected"),
    "model_attributes_type": _("a JSON object is expected"),
    "list_type": _("a list is expected"),
    "json_invalid": _("not valid JSON"),
    "enum": _("not one of the allowed values"),
    "literal_error": _("not one of the allowed values"),
    "greater_than_equal": _("too small"),
    "greater_than": _("too small"),
    "less_than_equal": _("too large"),
    "less_than": _("too large"),
}


def _reason(item: dict) -> str:
    return str(REASONS.get(item.get("type", ""), _("not a valid value")))


@api.exception_handler(AuthenticationError)
def authentication_error(request, error):
    return api.create_response(
        request,
        error_body(
            "unauthenticated",
            gettext("Send a valid API token: Authorization: Bearer <token>."),
        ),
        status=401,
    )


@api.exception_handler(RequestDataTooBig)
def too_big(request, error):
    return api.create_response(
        request,
        error_body(
            "too_large",
            gettext("The request body is too large."),
            {
                "request": gettext("larger than %(size)d bytes")
                % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
            },
        ),
        status=413,
    )


@api.exception_handler(HttpError)
def http_error(request, error: HttpError):
    if isinstance(error.__cause__, DomainError):  # raised by StorableJSON
        return domain_error(request, error.__cause__)
    return api.create_response(
        request, error_body(f"http_{error.status_code}", str(error)), status=error.status_code
    )


@api.exception_handler(Http404)
def not_found(request, error):
    return api.create_response(request, error_body("not_found", gettext("Not found.")), status=404)


@api.exception_handler(PermissionDenied)
def permission_denied(request, error):
    return api.create_response(
        request, error_body("forbidden", str(error) or gettext("Not allowed.")), status=403
    )


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def out_of_range(request, error):
    """A number larger than the database holds (SQLite raises OverflowError, PostgreSQL a
    DataError), found by schemathesis: the request's fault, not ours."""
    return api.create_response(
        request,
        error_body(
            "validation_error",
            gettext("A value in the request is out of range."),
            {"request": gettext("a number is larger than 64 bits, or a value too long to store")},
        ),
        status=422,
    )


@api.exception_handler(Exception)
def server_error(request, error):
    logger.exception("API error on %s %s", request.method, request.path)
    return api.create_response(
        request,
        error_body(
            "internal_error", gettext("Something went wrong on our side; it has been logged.")
        ),
        status=500,
    )


api.add_router("", accounts_router)
api.add_router("", core_router)
api.add_router("", notify_router)
api.add_router("", leads_router)
api.add_router("", customers_router)
api.add_router("", approvals_router)
api.add_router("", marketing_router)
api.add_router("", sales_router)
api.add_router("", service_router)
api.add_router("", mailing_router)
api.add_router("", journeys_router)
api.add_router("", analytics_router)
