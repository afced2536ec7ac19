"""Email pages: the public ends of a sent email (the open pixel, the click redirect, the
unsubscribe page and its one-click POST) and, for marketing, templates and sends."""

import base64
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leadflow.core.errors import DomainError
from leadflow.core.ui import page_of, refused_message
from leadflow.leads.models import Channel, Stage
from leadflow.leads.queries import leads_visible_to
from leadflow.marketing.models import Campaign

from .ab import Arm, percent, sample_size
from .models import EmailMessage, EmailSend, EmailTemplate, Suppression
from .permissions import MAILING_SEND
from .sending import (
    ABTest,
    ab_arms,
    audience,
    preview,
    sales_email_send,
    send_create,
    send_templates,
    template_save,
    template_test_send,
)
from .stats import message_stats
from .tracking import click_record, open_record, suppress_by_hand, unsubscribe

SKIP_REASONS = {
    "no_consent": _("no consent to marketing"),
    "suppressed": _("unsubscribed or bounced"),
    "capped": _("over the weekly cap"),
}

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
    if not EmailMessage.objects.filter(token=token).exists():
        raise Http404
    return render(request, "mailing/unsubscribe.html", {"done": False})


# ----------------------------------------------------------------- marketing's pages


def _marketer(request) -> None:
    if not request.user.has_permission(MAILING_SEND):
        raise Http404


def _preview_leads(request):
    """Leads to preview with: the user's own sight, with an email (the latest hundred)."""
    return audience(request.user, {}).order_by("-id")


@login_required
def templates_page(request):
    _marketer(request)
    templates = [
        {"template": t, "stats": message_stats(EmailMessage.objects.filter(template=t))}
        for t in EmailTemplate.objects.annotate(send_count=Count("sends"))
    ]
    return render(request, "mailing/templates.html", {"templates": templates})


@login_required
def template_edit(request, template_id: int | None = None):
    _marketer(request)
    template = get_object_or_404(EmailTemplate, pk=template_id) if template_id else None
    values = (
        request.POST.dict()
        if request.method == "POST"
        else {
            "name": template.name,
            "purpose": template.purpose,
            "subject": template.subject,
            "html": template.html,
            "text": template.text,
        }
        if template
        else {"purpose": "marketing"}
    )
    errors, message = {}, ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "test" and template is not None:
                leads = _preview_leads(request)
                lead = leads.filter(pk=request.POST.get("lead") or 0).first() or leads.first()
                template_test_send(template=template, by=request.user, lead=lead)
                messages.success(
                    request,
                    gettext("A test went to %(email)s.") % {"email": request.user.email},
                )
            else:
                template = template_save(values=values, by=request.user, template=template)
                messages.success(request, gettext("Saved."))
            return redirect("email_template", template.pk)
        except DomainError as error:
            errors, message = error.fields, error.message
    leads = _preview_leads(request)
    chosen = leads.filter(pk=request.GET.get("lead") or 0).first() or leads.first()
    leads = leads[:100]
    shown = preview(template, chosen) if template and chosen else None
    return render(
        request,
        "mailing/template_edit.html",
        {
            "template": template,
            "values": values,
            "errors": errors,
            "message": message,
            "purposes": EmailTemplate.Purpose.choices,
            "leads": leads,
            "chosen": chosen,
            "shown": shown,
        },
        status=422 if errors else 200,
    )


def _number(text: str, default, kind=int):
    try:
        return kind(str(text).strip()) if str(text).strip() else default
    except (ValueError, ArithmeticError):
        return kind(-1) if kind is int else Decimal(-1)


def _test_posted(post) -> ABTest | None:
    """An A/B test when other variants were chosen; the page's fields, checked by the
    service."""
    ids = [pk for pk in post.getlist("variants") if pk.isdigit()]
    if not ids:
        return None
    found = EmailTemplate.objects.in_bulk([int(pk) for pk in ids])
    return ABTest(
        variants=[found[int(pk)] for pk in ids if int(pk) in found],
        share=_number(post.get("test_share", ""), 20),
        metric=post.get("metric", "click"),
        decide_after_hours=_number(post.get("decide_after_hours", ""), 24),
        significance=_number(post.get("significance", ""), Decimal("0.05"), Decimal),
        min_sample=_number(post.get("min_sample", ""), 200),
    )


@login_required
def sends_page(request):
    _marketer(request)
    if request.method == "POST":
        post = request.POST
        # The campaign is what the send is part of (its figures roll up to it), not a filter.
        filters = {k: post.get(k, "") for k in ("channel", "grade", "stage", "region")}
        try:
            send = send_create(
                template=get_object_or_404(EmailTemplate, pk=post.get("template") or 0),
                name=post.get("name", ""),
                filters=filters,
                by=request.user,
                campaign=Campaign.objects.filter(pk=post.get("campaign") or 0).first(),
                test=_test_posted(post),
            )
        except DomainError as error:
            refused_message(request, error)
            return redirect("email_sends")
        messages.success(request, gettext("The send has started."))
        return redirect("email_send", send.pk)
    sends = [
        {"send": send, "stats": message_stats(send.messages.all())}
        for send in EmailSend.objects.select_related("template", "by")[:50]
    ]
    by_campaign = [
        {"campaign": c, "stats": message_stats(EmailMessage.objects.filter(send__campaign=c))}
        for c in Campaign.objects.filter(pk__in=EmailSend.objects.values("campaign_id"))
    ]
    marketing = EmailMessage.objects.filter(purpose=EmailTemplate.Purpose.MARKETING)
    by_channel = [
        {"channel": c, "stats": message_stats(marketing.filter(lead__channel=c))}
        for c in Channel.objects.filter(
            pk__in=marketing.exclude(lead=None).values("lead__channel_id")
        )
    ]
    return render(
        request,
        "mailing/sends.html",
        {
            "by_campaign": by_campaign,
            "by_channel": by_channel,
            "needed": sample_size(0.05, 0.02),
            "sends": sends,
            "templates": EmailTemplate.objects.filter(active=True),
            "channels": Channel.objects.filter(active=True),
            "campaigns": Campaign.objects.filter(state__in=("running", "ended")),
            "grades": ["A", "B", "C"],
            "stages": Stage.choices,
        },
    )


@login_required
def send_page(request, send_id: int):
    _marketer(request)
    send = get_object_or_404(EmailSend.objects.select_related("template", "by"), pk=send_id)
    stats = message_stats(send.messages.all())
    variants = []
    if send.test_share:
        arms = (
            ab_arms(send)
            if send.decided_at is None
            else [Arm(a["successes"], a["trials"]) for a in send.decision["arms"]]
        )
        p_values = {c["variant"]: c for c in send.decision.get("comparisons", [])}
        for index, (template, arm) in enumerate(zip(send_templates(send), arms, strict=False)):
            low, high = arm.interval()
            variants.append(
                {
                    "letter": "ABCD"[index],
                    "template": template,
                    "arm": arm,
                    "rate": percent(arm.rate),
                    "low": percent(low),
                    "high": percent(high),
                    "comparison": p_values.get(index),
                    "winner": send.decided_at and send.decision.get("winner") == index,
                }
            )
    return render(
        request,
        "mailing/send.html",
        {
            "send": send,
            "stats": stats,
            "sent_share": round(100 * stats["sent"] / stats["total"]) if stats["total"] else 0,
            "skipped": [(SKIP_REASONS.get(k, k), v) for k, v in send.skipped.items()],
            "variants": variants,
            "needed": sample_size(0.05, 0.02),
        },
    )


@login_required
def suppressions_page(request):
    _marketer(request)
    if request.method == "POST":
        try:
            suppress_by_hand(address=request.POST.get("email", ""), by=request.user)
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Saved."))
        return redirect("email_suppressions")
    return render(
        request,
        "mailing/suppressions.html",
        {"page": page_of(request, Suppression.objects.select_related("by"), per_page=50)},
    )


@require_POST
@login_required
def lead_email(request, lead_id: int):
    """A rep's own email to their lead, from the lead's page."""
    lead = leads_visible_to(request.user).filter(pk=lead_id).first()
    if lead is None:
        raise Http404
    try:
        sales_email_send(
            lead=lead,
            by=request.user,
            subject=request.POST.get("subject", ""),
            text=request.POST.get("text", ""),
        )
    except DomainError as error:
        refused_message(request, error)
    else:
        messages.success(request, gettext("The email is on its way."))
    return redirect("lead", lead.pk)
