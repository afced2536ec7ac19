"""Who is acting and from where, for the duration of one request or task.

Set by the request middleware and the API auth; read by the audit log so that service
functions need not pass the client IP around.
"""

from contextvars import ContextVar

from django.conf import settings

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def ip_from_request(request) -> str | None:
    """The client address. X-Forwarded-For is believed only when the operator says a proxy
    sets it (TRUSTED_PROXY_HOPS); its right-most entries are the ones the proxies added."""
    hops = getattr(settings, "TRUSTED_PROXY_HOPS", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(addresses) >= hops:
            return addresses[-hops][:45]
    return request.META.get("REMOTE_ADDR")
