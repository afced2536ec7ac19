"""The public web form (LEAD-CAP-1): embedded on the company's site, no login."""

import json

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from leadflow.core.context import ip_from_request
from leadflow.core.errors import DomainError, RateLimited

from ..models import (
    WebForm,
)
from ..webforms import FORM_FIELDS, HONEYPOT, webform_submit


@csrf_exempt  # posted from the company's own website; the honeypot and rate limit guard it
@xframe_options_exempt  # meant to be embedded in an iframe
def public_form(request, key: str):
    form = WebForm.objects.select_related("channel").filter(key=key, active=True).first()
    if form is None:
        raise Http404(key)
    wants_json = (
        "json" in request.headers.get("Accept", "") or request.content_type == "application/json"
    )
    context = {
        "form": form,
        "fields": _shown_fields(form),
        "honeypot": HONEYPOT,
        "errors": {},
        "data": {},
    }
    if request.method != "POST":
        return render(request, "leads/public_form.html", context)
    data = _posted(request)
    try:
        result = webform_submit(form=form, data=data, ip=ip_from_request(request) or "unknown")
    except DomainError as error:
        if wants_json:
            body = {"error": {"code": error.code, "message": error.message, "fields": error.fields}}
            return JsonResponse(body, status=error.status)
        status = 429 if isinstance(error, RateLimited) else 422
        context.update(errors=error.fields, data=data, message=error.message)
        return render(request, "leads/public_form.html", context, status=status)
    if wants_json:
        return JsonResponse(
            {"ok": True, "message": form.thank_you or gettext("Thank you!")}, status=201
        )
    return render(
        request, "leads/public_thanks.html", {"form": form, "received": result is not None}
    )


def _posted(request) -> dict:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except json.JSONDecodeError:
            body = {}
        return body if isinstance(body, dict) else {}
    return request.POST.dict()


def _shown_fields(form: WebForm) -> list[dict]:
    required = {"name", "industry", "need", *form.required_fields}
    return [
        {"name": name, "label": label, "required": name in required}
        for name, label in FORM_FIELDS.items()
    ]
