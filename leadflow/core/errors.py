"""Domain errors raised by service functions.

One place maps them to HTTP (the API's error handler and the UI's form errors), so a
service never needs to know who called it.
"""


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    """The one shape of every API error: {"error": {"code", "message", "fields"}}."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


class DomainError(Exception):
    """A business rule refused the request. Nothing was changed."""

    status = 400
    code = "invalid_request"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, code: str = ""):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationFailed(DomainError):
    """One or more fields hold a value that is not acceptable."""

    status = 422
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
