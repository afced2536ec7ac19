"""Service pages: the ticket list and a ticket's page with the step its state allows,
taking a ticket in, improvement items, the reports, the public service form and the
public survey page. Thin: each button calls the service function the API calls too."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leadflow.accounts.models import Department, User
from leadflow.core.context import ip_from_request
from leadflow.core.errors import DomainError, RateLimited
from leadflow.core.exports import export_from_request
from leadflow.core.personal import mask_email, mask_phone, personal_data_viewed
from leadflow.core.ratelimit import rate_hit
from leadflow.core.ui import page_of, refused_message
from leadflow.core.uploads import stored_file_response
from leadflow.customers.queries import customers_visible_to

from .clocks import deadlines_view
from .models import Improvement, RootCause, Ticket, TicketCategory
from .options import KINDS, option_add, option_toggle
from .permissions import SERVICE_DESK, SERVICE_MANAGE
from .reports import (
    Span,
    complaint_breakdown,
    customer_side,
    report_cells,
    report_headers,
    service_rows,
)
from .surveys import survey_answer, survey_open, survey_url
from .tickets import (
    attachment_path,
    improvement_create,
    improvement_done,
    solution_answer,
    solution_propose,
    ticket_assign,
    ticket_attach,
    ticket_close,
    ticket_contact,
    ticket_match,
    ticket_note,
    ticket_receive,
    ticket_reopen,
    ticket_resume,
    ticket_revisit,
    ticket_wait,
    tickets_visible_to,
)

HONEYPOT = "website"  # invisible to people; a bot that fills it is thanked and ignored
FORM_PER_HOUR = 20


def _ticket(request, ticket_id: int) -> Ticket:
    ticket = tickets_visible_to(request.user).filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404
    return ticket


def _filtered(request):
    tickets = tickets_visible_to(request.user)
    state, kind, when = (request.GET.get(n, "") for n in ("state", "kind", "when"))
    if state == "open":
        tickets = tickets.filter(state__in=Ticket.OPEN)
    elif state in Ticket.State.values:
        tickets = tickets.filter(state=state)
    if kind in Ticket.Kind.values:
        tickets = tickets.filter(kind=kind)
    if when == "overdue":
        tickets = tickets.filter(
            clocks__missed_at__isnull=False, clocks__met_at__isnull=True
        ).distinct()
    elif when == "mine":
        tickets = tickets.filter(Q(assignee=request.user) | Q(received_by=request.user))
    if query := request.GET.get("q", "").strip():
        tickets = tickets.filter(
            Q(number__icontains=query)
            | Q(subject__icontains=query)
            | Q(customer__name__icontains=query)
            | Q(contact_name__icontains=query)
        )
    return tickets


@login_required
def tickets_page(request):
    tickets = _filtered(request)
    if "export" in request.GET:
        headers = [
            gettext("Number"),
            gettext("Kind"),
            gettext("Customer"),
            gettext("Category"),
            gettext("Subject"),
            gettext("Severity"),
            gettext("State"),
            gettext("Department"),
            gettext("Responsible"),
            gettext("Received"),
            gettext("Closed"),
        ]
        rows = (
            (
                t.number,
                t.get_kind_display(),
                t.customer.name if t.customer else t.contact_name,
                str(t.category),
                t.subject,
                t.get_severity_display(),
                t.get_state_display(),
                str(t.department or ""),
                str(t.assignee or ""),
                timezone.localtime(t.received_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(t.closed_at).strftime("%Y-%m-%d %H:%M") if t.closed_at else "",
            )
            for t in tickets[:10_000]
        )
        return export_from_request(request, name="tickets", headers=headers, rows=rows)
    page = page_of(request, tickets.prefetch_related("clocks"), per_page=30)
    now = timezone.now()
    for ticket in page.object_list:
        ticket.deadlines = deadlines_view(ticket, now)
    return render(
        request,
        "service/tickets.html",
        {
            "page": page,
            "states": Ticket.State.choices,
            "kinds": Ticket.Kind.choices,
            "desk": request.user.has_permission(SERVICE_DESK),
        },
    )


def _receive_context(request, values, errors=None, message=""):
    return {
        "values": values,
        "errors": errors or {},
        "message": message,
        "kinds": Ticket.Kind.choices,
        "sources": [c for c in Ticket.Source.choices if c[0] not in ("form", "api")],
        "severities": Ticket.Severity.choices,
        "categories": TicketCategory.objects.filter(active=True),
        "customers": customers_visible_to(request.user).order_by("name")[:500],
    }


@login_required
def ticket_new(request):
    if request.method == "POST":
        values = request.POST.dict()
        try:
            ticket = ticket_receive(
                values=values,
                by=request.user,
                via=values.get("source") or "phone",
                files=request.FILES.getlist("files"),
            )
        except DomainError as error:
            return render(
                request,
                "service/ticket_new.html",
                _receive_context(request, values, error.fields, error.message),
                status=422,
            )
        messages.success(
            request, gettext("Ticket %(number)s taken in.") % {"number": ticket.number}
        )
        return redirect("ticket", ticket.pk)
    values = {"kind": request.GET.get("kind", "complaint"), "customer": request.GET.get("customer")}
    return render(request, "service/ticket_new.html", _receive_context(request, values))


def _contact_shown(request, ticket: Ticket) -> dict[str, str]:
    """The unknown person's phone and email: whole to the desk and the responsible person
    (their viewing is audited), masked to everyone else."""
    if not (ticket.contact_phone or ticket.contact_email):
        return {}
    whole = request.user.has_permission(SERVICE_DESK) or ticket.assignee_id == request.user.pk
    if whole:
        personal_data_viewed(user=request.user, obj=ticket)
        return {"phone": ticket.contact_phone, "email": ticket.contact_email}
    return {"phone": mask_phone(ticket.contact_phone), "email": mask_email(ticket.contact_email)}


@login_required
def ticket_page(request, ticket_id: int):
    ticket = _ticket(request, ticket_id)
    user = request.user
    desk = user.has_permission(SERVICE_DESK) or ticket.received_by_id == user.pk
    head = ticket.department.manager_id if ticket.department else None
    unanswered = ticket.surveys.filter(answered_at__isnull=True, expires_at__gt=timezone.now())
    return render(
        request,
        "service/ticket.html",
        {
            "ticket": ticket,
            "contact": _contact_shown(request, ticket),
            "deadlines": deadlines_view(ticket),
            "steps": ticket.steps.select_related("by"),
            "attachments": ticket.attachments.all(),
            "surveys": ticket.surveys.all(),
            "survey_links": [survey_url(s) for s in unanswered] if desk else [],
            "desk": desk,
            "solver": desk or user.pk in (ticket.assignee_id, head),
            "departments": Department.objects.order_by("path"),
            "people": User.objects.filter(is_active=True).order_by("display_name"),
            "root_causes": RootCause.objects.filter(active=True),
            "customers": customers_visible_to(user).order_by("name")[:500]
            if desk and ticket.customer is None
            else [],
        },
    )


@require_POST
@login_required
def ticket_action(request, ticket_id: int, action: str):
    ticket = _ticket(request, ticket_id)
    user, post = request.user, request.POST
    text = post.get("text", "")
    acts = {
        "contact": lambda: ticket_contact(ticket=ticket, by=user, text=text),
        "assign": lambda: ticket_assign(
            ticket=ticket,
            by=user,
            department=Department.objects.filter(pk=post.get("department") or 0).first(),
            assignee=User.objects.filter(pk=post.get("assignee") or 0).first(),
            text=text,
        ),
        "propose": lambda: solution_propose(
            ticket=ticket, by=user, solution=post.get("solution", "")
        ),
        "accepted": lambda: solution_answer(ticket=ticket, by=user, accepted=True, text=text),
        "rejected": lambda: solution_answer(ticket=ticket, by=user, accepted=False, text=text),
        "wait": lambda: ticket_wait(ticket=ticket, by=user, reason=post.get("reason", "")),
        "resume": lambda: ticket_resume(ticket=ticket, by=user, text=text),
        "revisit": lambda: ticket_revisit(ticket=ticket, by=user, text=text),
        "close": lambda: ticket_close(
            ticket=ticket,
            by=user,
            text=text,
            root_cause=RootCause.objects.filter(pk=post.get("root_cause") or 0).first(),
            root_cause_text=post.get("root_cause_text", ""),
            corrective_action=post.get("corrective_action", ""),
        ),
        "reopen": lambda: ticket_reopen(ticket=ticket, by=user, reason=post.get("reason", "")),
        "note": lambda: ticket_note(ticket=ticket, by=user, text=text),
        "match": lambda: ticket_match(
            ticket=ticket,
            customer=customers_visible_to(user).filter(pk=post.get("customer") or 0).first()
            or _no_customer(),
            by=user,
        ),
        "attach": lambda: ticket_attach(
            ticket=ticket, files=request.FILES.getlist("files"), by=user
        ),
    }
    if action not in acts:
        raise Http404
    try:
        acts[action]()
    except DomainError as error:
        refused_message(request, error)
    else:
        messages.success(request, gettext("Saved."))
    return redirect("ticket", ticket.pk)


def _no_customer():
    from leadflow.core.errors import ValidationFailed

    raise ValidationFailed(
        gettext("The ticket was not matched."),
        fields={"customer": gettext("choose a customer you may see")},
    )


@login_required
def ticket_attachment(request, ticket_id: int, attachment_id: int):
    """An attachment, only to whoever may see its ticket; never rendered as a page."""
    ticket = _ticket(request, ticket_id)
    attachment = get_object_or_404(ticket.attachments, pk=attachment_id)
    try:
        path = attachment_path(attachment)
    except ValueError:
        raise Http404 from None
    return stored_file_response(
        path, content_type=attachment.content_type, name=attachment.original_name
    )


# ----------------------------------------------------------------- improvements, reports


@login_required
def improvements_page(request):
    user = request.user
    if request.method == "POST":
        try:
            if request.POST.get("action") == "done":
                item = get_object_or_404(Improvement, pk=request.POST.get("item") or 0)
                improvement_done(item=item, by=user, result=request.POST.get("result", ""))
            else:
                cause = RootCause.objects.filter(pk=request.POST.get("root_cause") or 0).first()
                improvement_create(
                    title=request.POST.get("title", ""),
                    root_cause=cause,
                    action=request.POST.get("action_text", ""),
                    owner=User.objects.filter(pk=request.POST.get("owner") or 0).first(),
                    due_on=request.POST.get("due_on", ""),
                    tickets=tickets_visible_to(user).filter(
                        pk__in=request.POST.getlist("tickets"), root_cause=cause
                    ),
                    by=user,
                )
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Saved."))
        return redirect("service_improvements")
    ungrouped = (
        tickets_visible_to(user)
        .filter(kind=Ticket.Kind.COMPLAINT, root_cause__isnull=False, improvement__isnull=True)
        .order_by("root_cause", "-closed_at")[:200]
    )
    return render(
        request,
        "service/improvements.html",
        {
            "items": Improvement.objects.select_related("root_cause", "owner").prefetch_related(
                "tickets"
            ),
            "ungrouped": ungrouped,
            "root_causes": RootCause.objects.filter(active=True),
            "people": User.objects.filter(is_active=True).order_by("display_name"),
            "manager": user.has_permission(SERVICE_MANAGE),
            "today": timezone.localdate(),
        },
    )


def _span(request) -> Span:
    today = timezone.localdate()
    start = parse_date(request.GET.get("start") or "") or today.replace(day=1)
    end = parse_date(request.GET.get("end") or "") or today
    if end < start:
        start, end = end, start
    return Span(start, min(end, start + timedelta(days=366)))


@login_required
def reports_page(request):
    span = _span(request)
    by = request.GET.get("by") if request.GET.get("by") in ("agent", "department") else "agent"
    rows = service_rows(request.user, span, by)
    breakdown = complaint_breakdown(request.user, span)
    if "export" in request.GET:
        table = request.GET.get("table", "")
        if table in ("categories", "root_causes", "distribution"):
            first = {
                "categories": gettext("Category"),
                "root_causes": gettext("Root cause"),
                "distribution": gettext("Score"),
            }[table]
            key = "score" if table == "distribution" else "name"
            return export_from_request(
                request,
                name=f"service_{table}",
                headers=[
                    first,
                    gettext("Answers") if table == "distribution" else gettext("Complaints"),
                ],
                rows=([item[key], item["count"]] for item in breakdown[table]),
            )
        return export_from_request(
            request,
            name="service",
            headers=report_headers(by),
            rows=(report_cells(row) for row in rows),
        )
    return render(
        request,
        "service/reports.html",
        {
            "span": span,
            "by": by,
            "rows": rows,
            "breakdown": breakdown,
            "customers": customer_side(request.user, span),
            "distribution": breakdown["distribution"],
        },
    )


@login_required
def options_page(request):
    """Ticket categories and root causes, added and switched off by service managers."""
    if not request.user.has_permission(SERVICE_MANAGE):
        raise Http404
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in KINDS:
            raise Http404
        try:
            if request.POST.get("item"):
                item_id = int(request.POST["item"]) if request.POST["item"].isdigit() else 0
                if not KINDS[kind].objects.filter(pk=item_id).exists():
                    raise Http404
                option_toggle(kind=kind, item_id=item_id, by=request.user)
            else:
                option_add(kind=kind, name=request.POST.get("name", ""), by=request.user)
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Saved."))
        return redirect("service_options")
    return render(
        request,
        "service/options.html",
        {"categories": TicketCategory.objects.all(), "root_causes": RootCause.objects.all()},
    )


# ----------------------------------------------------------------- public pages


@csrf_exempt  # filled in from the company's website; the honeypot and rate limit guard it
@xframe_options_exempt
def public_form(request):
    """The public service form: an inquiry or a complaint from anyone, no sign-in."""
    context = {
        "values": {},
        "errors": {},
        "kinds": Ticket.Kind.choices,
        "categories": TicketCategory.objects.filter(active=True),
        "honeypot": HONEYPOT,
    }
    if request.method != "POST":
        return render(request, "service/public_form.html", context)
    values = {
        name: request.POST.get(name, "")
        for name in (
            "kind",
            "category",
            "subject",
            "content",
            "contact_name",
            "contact_phone",
            "contact_email",
        )
    }
    context["values"] = values
    try:
        if not rate_hit(
            f"service-form:{ip_from_request(request) or 'unknown'}",
            limit=FORM_PER_HOUR,
            window=timedelta(hours=1),
        ):
            raise RateLimited(gettext("Too many submissions from here: please try again later."))
        if str(request.POST.get(HONEYPOT) or "").strip():
            return render(request, "service/public_form.html", {**context, "thanked": "—"})
        ticket = ticket_receive(
            values=values, by=None, via="form", files=request.FILES.getlist("files")
        )
    except DomainError as error:
        context.update(errors=error.fields, message=error.message)
        status = 429 if isinstance(error, RateLimited) else 422
        return render(request, "service/public_form.html", context, status=status)
    return render(request, "service/public_form.html", {**context, "thanked": ticket.number})


@csrf_exempt  # answered from the customer's email; the signed one-use link guards it
def public_survey(request, token: str):
    try:
        opened = survey_open(token)
    except DomainError as error:
        return render(request, "service/public_survey.html", {"refused": error.message}, status=410)
    context = {"opened": opened, "scores": range(1, 6), "errors": {}}
    if request.method != "POST":
        return render(request, "service/public_survey.html", context)
    try:
        survey_answer(
            token=token,
            score=request.POST.get("score", ""),
            comment=request.POST.get("comment", ""),
        )
    except DomainError as error:
        context.update(errors=error.fields, message=error.message)
        return render(request, "service/public_survey.html", context, status=422)
    return render(request, "service/public_survey.html", {"thanked": True})
