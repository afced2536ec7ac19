"""Email pages: the public ends of a sent email (the open pixel, the click redirect, the
unsubscribe page and its one-click POST) and, for marketing, templates and sends."""

import base64

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from .tracking import click_record, open_record, unsubscribe

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@never_cache
def open_pixel(request, token: str):
    """A 1×1 GIF; the open is recorded when the token is one of ours."""
    open_record(token, request.META.get("HTTP_USER_AGENT", ""))
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
def click(request, signed: str):
    target = click_record(signed, request.META.get("HTTP_USER_AGENT", ""))
    if target is None:
        raise Http404
    return HttpResponseRedirect(target)


@csrf_exempt  # reached from the email itself; the random token is the person's key
def unsubscribe_page(request, token: str):
    """GET: a page with one button (a link scanner's GET unsubscribes nobody). POST: the
    button, or the mail program's one-click request (RFC 8058): suppressed at once."""
    if request.method == "POST":
        one_click = "List-Unsubscribe=One-Click" in request.body.decode(errors="ignore")
        message = unsubscribe(token, source="one-click" if one_click else "link")
        if message is None:
            raise Http404
        return render(request, "mailing/unsubscribe.html", {"done": True})
    from .models import EmailMessage

    if not EmailMessage.objects.filter(token=token).exists():
        raise Http404
    return render(request, "mailing/unsubscribe.html", {"done": False})
