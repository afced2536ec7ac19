"""The marketing pages: campaigns (list, calendar, plan, page with its tasks, timeline and
evaluation), expense claims with their receipts, the budget, and the analysis. Each POST
calls one service and comes back with its message."""

import calendar
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leadflow.approvals.models import ApprovalRequest
from leadflow.core.context import ip_from_request
from leadflow.core.errors import DomainError, RateLimited, ValidationFailed
from leadflow.core.exports import export_from_request
from leadflow.core.ui import (
    form_error,
    kept_upload,
    page_of,
    permission_required,
    refused_message,
)
from leadflow.core.uploads import stored_file_response
from leadflow.leads.queries import leads_visible_to

from .analysis import by_campaign, by_channel, expense_to_sales, spend_by
from .budgets import LineIn, budget_draft, budget_in_force, budget_submit
from .campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_end,
    campaign_evaluate,
    campaign_note_add,
    campaign_participants_import,
    campaign_start,
    campaign_submit,
    campaign_update,
    campaigns_visible_to,
    may_manage,
    progress,
    task_add,
    task_done,
)
from .evaluation import against_targets, campaign_figures
from .expenses import claim_reimburse, claim_request, claim_submit, claims_visible_to
from .forms import BudgetLinesFormSet, CampaignForm, ClaimForm, EvaluationForm, TaskForm
from .models import (
    Budget,
    Campaign,
    ExpenseClaim,
    Question,
    Questionnaire,
    ResearchPlan,
    ResearchReport,
    SurveyResponse,
)
from .permissions import MARKETING_BUDGET, MARKETING_CAMPAIGNS, MARKETING_REIMBURSE
from .receipts import stored_path
from .research import (
    HONEYPOT,
    QuestionIn,
    questionnaire_create,
    questionnaire_set_state,
    questionnaires_visible_to,
    report_submit,
    research_plan_create,
    research_plan_submit,
    response_submit,
    summaries,
)
from .text import rendered_markdown

State = Campaign.State


# ----------------------------------------------------------------- campaigns


@login_required
def campaigns_page(request):
    campaigns = campaigns_visible_to(request.user).annotate(budget=Sum("budget_lines__amount"))
    state = request.GET.get("state", "")
    if state in State.values:
        campaigns = campaigns.filter(state=state)
    if query := request.GET.get("q", "").strip():
        campaigns = campaigns.filter(Q(name__icontains=query) | Q(theme__icontains=query))
    campaigns = campaigns.order_by("-starts_on", "-id")
    if "export" in request.GET:
        rows = (
            (
                c.name,
                c.get_state_display(),
                c.get_form_display(),
                c.starts_on,
                c.ends_on,
                c.department.name if c.department else "",
                str(c.owner or ""),
                c.budget or 0,
                c.target_leads,
            )
            for c in campaigns[:10_000]
        )
        headers = [
            gettext("Campaign"),
            gettext("State"),
            gettext("Form"),
            gettext("Starts"),
            gettext("Ends"),
            gettext("Department"),
            gettext("Owner"),
            gettext("Budget (元)"),
            gettext("Target new leads"),
        ]
        return export_from_request(request, name="campaigns", headers=headers, rows=rows)
    return render(
        request,
        "marketing/campaigns.html",
        {
            "page": page_of(request, campaigns, per_page=30),
            "states": State.choices,
            "state": state,
            "may_plan": request.user.has_permission(MARKETING_CAMPAIGNS),
        },
    )


def _staff(form):
    return form.cleaned_data.get("staff")


@permission_required(MARKETING_CAMPAIGNS)
def campaign_new(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(
                values=form.cleaned_data, budget=form.budget(), staff=_staff(form), by=request.user
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(
                request, gettext("Saved as a draft: submit it when the plan is ready.")
            )
            return redirect("campaign", campaign.pk)
    return render(request, "marketing/campaign_form.html", {"form": form, "campaign": None})


def _visible_campaign(request, campaign_id: int) -> Campaign:
    campaign = campaigns_visible_to(request.user).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return campaign


@login_required
def campaign_edit(request, campaign_id: int):
    campaign = _visible_campaign(request, campaign_id)
    form = CampaignForm(
        request.POST or None, instance=campaign, initial={"staff": campaign.staff.all()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            campaign_update(
                campaign=Campaign.objects.get(pk=campaign.pk),
                values=form.cleaned_data,
                budget=form.budget(),
                staff=_staff(form),
                by=request.user,
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("campaign", campaign.pk)
    return render(request, "marketing/campaign_form.html", {"form": form, "campaign": campaign})


@login_required
def campaign_page(request, campaign_id: int):
    campaign = _visible_campaign(request, campaign_id)
    frozen = campaign.state == State.EVALUATED
    figures = campaign.evaluation if frozen else campaign_figures(campaign)
    done, total = progress(campaign)
    approval = (
        ApprovalRequest.objects.filter(kind="campaign_plan", subject_id=campaign.pk)
        .order_by("-id")
        .first()
    )
    today = timezone.localdate()
    return render(
        request,
        "marketing/campaign.html",
        {
            "campaign": campaign,
            "manage": may_manage(request.user, campaign),
            "figures": figures,
            "targets": against_targets(campaign, figures),
            "budget_lines": campaign.budget_lines.select_related("category"),
            "tasks": campaign.tasks.select_related("assignee", "department", "done_by"),
            "progress": round(100 * done / total) if total else 0,
            "done": done,
            "total": total,
            "today": today,
            "events": campaign.events.select_related("actor")[:50],
            "approval": approval,
            "task_form": TaskForm(),
            "evaluation_form": EvaluationForm(),
            "claims": campaign.claims.select_related("claimant", "category"),
        },
    )


def _campaign_act(request, campaign_id: int, act, done: str):
    campaign = _visible_campaign(request, campaign_id)
    try:
        act(campaign)
    except DomainError as error:
        refused_message(request, error)
    else:
        messages.success(request, done)
    return redirect("campaign", campaign_id)


@require_POST
@login_required
def campaign_action(request, campaign_id: int, action: str):
    user, post = request.user, request.POST
    acts = {
        "submit": (
            lambda c: campaign_submit(campaign=c, by=user, reason=post.get("reason", "")),
            gettext("Sent for review and approval."),
        ),
        "start": (lambda c: campaign_start(campaign=c, by=user), gettext("Started.")),
        "end": (lambda c: campaign_end(campaign=c, by=user), gettext("Ended.")),
        "cancel": (
            lambda c: campaign_cancel(campaign=c, by=user, reason=post.get("reason", "")),
            gettext("Cancelled."),
        ),
        "evaluate": (
            lambda c: campaign_evaluate(
                campaign=c,
                by=user,
                participants=post.get("participants"),
                satisfaction=post.get("satisfaction"),
                lessons=post.get("lessons", ""),
            ),
            gettext("Evaluated: the campaign is read-only now."),
        ),
        "note": (
            lambda c: campaign_note_add(campaign=c, by=user, text=post.get("text", "")),
            gettext("Note added."),
        ),
        "task": (
            lambda c: _add_task(c, request),
            gettext("Task added."),
        ),
        "participants": (
            lambda c: _import_participants(c, request),
            gettext("Participants counted from the list."),
        ),
    }
    if action not in acts:
        raise Http404
    act, done = acts[action]
    return _campaign_act(request, campaign_id, act, done)


def _import_participants(campaign: Campaign, request) -> None:
    upload = request.FILES.get("file")
    if upload is None or Path(upload.name).suffix.lower() not in (".csv", ".xlsx"):
        raise ValidationFailed(
            gettext("Choose the sign-in list."), fields={"file": gettext("a CSV or XLSX file")}
        )
    with kept_upload(upload, prefix="participants-") as path:
        campaign_participants_import(campaign=campaign, by=request.user, path=path)
    path.unlink(missing_ok=True)  # only the count is kept


def _add_task(campaign: Campaign, request) -> None:
    form = TaskForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    task_add(
        campaign=campaign,
        by=request.user,
        title=request.POST.get("title", ""),
        due_on=data.get("due_on"),
        assignee=data.get("assignee"),
        department=data.get("department"),
    )


@require_POST
@login_required
def campaign_task_done(request, campaign_id: int, task_id: int):
    campaign = _visible_campaign(request, campaign_id)
    task = get_object_or_404(campaign.tasks, pk=task_id)
    return _campaign_act(
        request, campaign_id, lambda c: task_done(task=task, by=request.user), gettext("Done.")
    )


@login_required
def campaign_calendar(request):
    """A month of campaigns per department, each as a bar over the days it runs."""
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    days = calendar.monthrange(first.year, first.month)[1]
    last = first.replace(day=days)
    campaigns = (
        campaigns_visible_to(request.user)
        .filter(starts_on__lte=last, ends_on__gte=first)
        .exclude(state=State.CANCELLED)
        .order_by("department__path", "starts_on")
    )
    groups: dict[str, list[dict]] = {}
    for campaign in campaigns:
        start = max(campaign.starts_on or first, first)
        end = min(campaign.ends_on or last, last)
        groups.setdefault(campaign.department.name if campaign.department else "—", []).append(
            {
                "campaign": campaign,
                "left": round(100 * (start.day - 1) / days, 2),
                "width": round(100 * ((end - start).days + 1) / days, 2),
                "start": start,
                "end": end,
            }
        )
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return render(
        request,
        "marketing/calendar.html",
        {
            "first": first,
            "groups": groups,
            "previous": previous.strftime("%Y-%m"),
            "next": following.strftime("%Y-%m"),
            "today_left": round(100 * (today.day - 0.5) / days, 2)
            if first <= today <= last
            else None,
        },
    )


# ----------------------------------------------------------------- expense claims


@login_required
def claims_page(request):
    user = request.user
    form = ClaimForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            claim = claim_submit(
                values=form.cleaned_data, by=user, receipts=request.FILES.getlist("receipts")
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, gettext("Sent for approval."))
            return redirect("claim", claim.pk)
    claims = claims_visible_to(user).order_by("-created_at", "-id")
    box = request.GET.get("box", "mine")
    if box == "mine":
        claims = claims.filter(claimant=user)
    elif box == "to_pay":
        claims = claims.filter(state=ExpenseClaim.State.APPROVED)
    if "export" in request.GET:
        rows = (
            (
                c.spent_on,
                str(c.claimant),
                c.category.name,
                c.amount,
                c.reason,
                c.campaign.name if c.campaign else "",
                c.get_state_display(),
                c.paid_on or "",
            )
            for c in claims[:10_000]
        )
        headers = [
            gettext("Date"),
            gettext("Claimant"),
            gettext("Category"),
            gettext("Amount (元)"),
            gettext("Reason"),
            gettext("Campaign"),
            gettext("State"),
            gettext("Paid on"),
        ]
        return export_from_request(request, name="expense-claims", headers=headers, rows=rows)
    return render(
        request,
        "marketing/claims.html",
        {
            "form": form,
            "page": page_of(request, claims, per_page=30),
            "box": box,
            "finance": user.has_permission(MARKETING_REIMBURSE),
        },
    )


def _visible_claim(request, claim_id: int) -> ExpenseClaim:
    claim = claims_visible_to(request.user).filter(pk=claim_id).first()
    if claim is None:
        raise Http404
    return claim


@login_required
def claim_page(request, claim_id: int):
    claim = _visible_claim(request, claim_id)
    if request.method == "POST":
        try:
            claim_reimburse(
                claim=claim, by=request.user, paid_on=parse_date(request.POST.get("paid_on") or "")
            )
        except (DomainError, ValueError) as error:
            if isinstance(error, DomainError):
                refused_message(request, error)
        else:
            messages.success(request, gettext("Marked reimbursed."))
        return redirect("claim", claim.pk)
    return render(
        request,
        "marketing/claim.html",
        {
            "claim": claim,
            "approval": claim_request(claim),
            "receipts": claim.attachments.order_by("id"),
            "may_pay": request.user.has_permission(MARKETING_REIMBURSE)
            and claim.state == ExpenseClaim.State.APPROVED,
            "today": timezone.localdate(),
        },
    )


@login_required
def claim_receipt(request, claim_id: int, receipt_id: int):
    """A receipt, only to whoever may see its claim; never rendered as a page."""
    claim = _visible_claim(request, claim_id)
    receipt = get_object_or_404(claim.attachments, pk=receipt_id)
    try:
        path = stored_path(claim.pk, receipt.stored_name)
    except ValueError:
        raise Http404 from None
    return stored_file_response(path, content_type=receipt.content_type, name=receipt.original_name)


# ----------------------------------------------------------------- budget and analysis


def _year(request) -> int:
    value = request.GET.get("year") or request.POST.get("year") or ""
    return (
        int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else timezone.localdate().year
    )


@permission_required(MARKETING_BUDGET)
def budgets_page(request):
    year = _year(request)
    formset = BudgetLinesFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and "submit" in request.POST:
        budget = get_object_or_404(Budget, pk=request.POST.get("submit"))
        try:
            budget_submit(budget=budget, by=request.user)
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Sent to management for approval."))
        return redirect(f"{request.path}?year={budget.year}")
    if request.method == "POST" and formset.is_valid():
        lines = [
            LineIn(
                category=line.get("category"),
                amount=line.get("amount"),
                department=line.get("department"),
                month=line.get("month"),
            )
            for line in formset.cleaned_data
            if line.get("category") or line.get("amount")
        ]
        try:
            budget_draft(year=year, lines=lines, by=request.user, note=request.POST.get("note", ""))
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Saved as a draft version: submit it for approval."))
        return redirect(f"{request.path}?year={year}")
    versions = Budget.objects.filter(year=year).annotate(total=Sum("lines__amount"))
    in_force = budget_in_force(year)
    return render(
        request,
        "marketing/budgets.html",
        {
            "year": year,
            "years": [year - 1, year, year + 1],
            "versions": versions,
            "in_force": in_force,
            "lines": in_force.lines.select_related("category", "department") if in_force else [],
            "formset": formset,
        },
    )


@login_required
def analysis_page(request):
    if not (
        request.user.has_permission(MARKETING_BUDGET)
        or request.user.has_permission(MARKETING_CAMPAIGNS)
    ):
        raise Http404
    year = _year(request)
    table = request.GET.get("table", "")
    sections = {
        "category": spend_by(year, "category"),
        "department": spend_by(year, "department"),
        "month": spend_by(year, "month"),
    }
    if "export" in request.GET and table in sections:
        headers = [
            gettext("Item"),
            gettext("Budget (元)"),
            gettext("Spent (元)"),
            gettext("Used %"),
        ]
        spend = ((r.label, r.budget or "", r.spent, r.used or "") for r in sections[table])
        return export_from_request(request, name=f"spend-by-{table}", headers=headers, rows=spend)
    campaigns = by_campaign(year)
    if "export" in request.GET and table == "campaigns":
        headers = [
            gettext("Campaign"),
            gettext("Leads"),
            gettext("Sales (元)"),
            gettext("Cost (元)"),
            gettext("Cost per lead (元)"),
            gettext("ROI"),
        ]
        rows = (
            (
                r["campaign"].name,
                r["leads"],
                r["sales"],
                r["cost"],
                r["cost_per_lead"] or "",
                r["roi"] or "",
            )
            for r in campaigns
        )
        return export_from_request(request, name="campaign-returns", headers=headers, rows=rows)
    return render(
        request,
        "marketing/analysis.html",
        {
            "year": year,
            "years": [year - 1, year, year + 1],
            "sections": sections,
            "ratio": expense_to_sales(year),
            "campaigns": campaigns,
            "channels": by_channel(year),
            "zero": Decimal(0),
        },
    )


# ----------------------------------------------------------------- market research


@permission_required(MARKETING_CAMPAIGNS)
def research_page(request):
    if request.method == "POST":
        try:
            research_plan_create(
                values={**request.POST.dict(), "methods": request.POST.getlist("methods")},
                by=request.user,
            )
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Saved as a draft: submit it for approval."))
        return redirect("research")
    return render(
        request,
        "marketing/research.html",
        {
            "plans": ResearchPlan.objects.select_related("owner")[:50],
            "questionnaires": questionnaires_visible_to(request.user).annotate(
                answered=Count("responses")
            )[:100],
            "methods": ResearchPlan.Method.choices,
            "year": timezone.localdate().year,
        },
    )


@require_POST
@permission_required(MARKETING_CAMPAIGNS)
def research_plan_submit_view(request, plan_id: int):
    plan = get_object_or_404(ResearchPlan, pk=plan_id)
    try:
        research_plan_submit(plan=plan, by=request.user)
    except DomainError as error:
        refused_message(request, error)
    else:
        messages.success(request, gettext("Sent for review and approval."))
    return redirect("research")


QUESTION_ROWS = 8


@permission_required(MARKETING_CAMPAIGNS)
def questionnaire_new(request):
    post = request.POST
    if request.method == "POST":
        questions = [
            QuestionIn(
                text=post.get(f"text_{n}", ""),
                kind=post.get(f"kind_{n}", ""),
                options=post.get(f"options_{n}", "").splitlines(),
                required=bool(post.get(f"required_{n}")),
                satisfaction=bool(post.get(f"satisfaction_{n}")),
            )
            for n in range(QUESTION_ROWS)
            if post.get(f"text_{n}", "").strip()
        ]
        try:
            questionnaire = questionnaire_create(
                title=post.get("title", ""),
                intro=post.get("intro", ""),
                questions=questions,
                campaign=campaigns_visible_to(request.user)
                .filter(pk=post.get("campaign") or 0)
                .first(),
                plan=ResearchPlan.objects.filter(pk=post.get("plan") or 0).first(),
                by=request.user,
            )
        except DomainError as error:
            refused_message(request, error)
        else:
            messages.success(request, gettext("Saved: open it when it should take answers."))
            return redirect("questionnaire", questionnaire.pk)
    return render(
        request,
        "marketing/questionnaire_new.html",
        {
            "rows": range(QUESTION_ROWS),
            "kinds": Question.Kind.choices,
            "campaigns": campaigns_visible_to(request.user).exclude(state=State.CANCELLED),
            "plans": ResearchPlan.objects.all()[:50],
            "posted": post,
        },
    )


def _questionnaire(request, questionnaire_id: int) -> Questionnaire:
    questionnaire = questionnaires_visible_to(request.user).filter(pk=questionnaire_id).first()
    if questionnaire is None:
        raise Http404
    return questionnaire


@permission_required(MARKETING_CAMPAIGNS)
def questionnaire_page(request, questionnaire_id: int):
    questionnaire = _questionnaire(request, questionnaire_id)
    post = request.POST
    if request.method == "POST":
        try:
            if post.get("state"):
                questionnaire_set_state(
                    questionnaire=questionnaire, state=post["state"], by=request.user
                )
            else:
                report = report_submit(
                    questionnaire=questionnaire,
                    title=post.get("title", ""),
                    body=post.get("body", ""),
                    by=request.user,
                )
                messages.success(request, gettext("Sent to management."))
                return redirect("research_report", report.pk)
        except DomainError as error:
            refused_message(request, error)
        return redirect("questionnaire", questionnaire.pk)
    rows = summaries(questionnaire)
    if "export" in request.GET:
        return export_from_request(
            request,
            name="questionnaire",
            headers=[gettext("Question"), gettext("Answer"), gettext("Count"), gettext("Share %")],
            rows=_summary_rows(rows),
        )
    return render(
        request,
        "marketing/questionnaire.html",
        {
            "questionnaire": questionnaire,
            "summaries": rows,
            "responses": questionnaire.responses.count(),
            "public_url": request.build_absolute_uri(f"/s/{questionnaire.key}"),
            "reports": questionnaire.reports.all(),
        },
    )


def _summary_rows(rows):
    for row in rows:
        if row["kind"] in ("single", "multiple"):
            for option in row["options"]:
                yield (row["question"], option["option"], option["count"], option["percent"])
        elif row["kind"] == "scale":
            for score, count in enumerate(row["spread"], start=1):
                yield (row["question"], score, count, "")
            yield (row["question"], gettext("Average"), row["average"] or "", "")
        else:
            yield (row["question"], gettext("Texts"), row["answers"], "")


@permission_required(MARKETING_CAMPAIGNS)
def questionnaire_fill(request, questionnaire_id: int):
    """Staff fill it in during an interview, naming the respondent and, when known, the
    lead it is about."""
    questionnaire = _questionnaire(request, questionnaire_id)
    errors: dict = {}
    if request.method == "POST":
        post = request.POST
        number = post.get("lead", "").strip()
        lead = leads_visible_to(request.user).filter(number=number).first() if number else None
        try:
            if number and lead is None:
                raise ValidationFailed(
                    gettext("No lead you may see has this number."), fields={"lead": number}
                )
            response_submit(
                questionnaire=questionnaire,
                answers=_posted_answers(post),
                via=SurveyResponse.Via.STAFF,
                by=request.user,
                respondent=post.get("respondent", ""),
                contact=post.get("contact", ""),
                lead=lead,
            )
        except DomainError as error:
            refused_message(request, error)
            errors = error.fields
        else:
            messages.success(request, gettext("Answers saved."))
            return redirect("questionnaire", questionnaire.pk)
    return render(
        request,
        "marketing/questionnaire_fill.html",
        {
            "questionnaire": questionnaire,
            "questions": questionnaire.questions.all(),
            "errors": errors,
            "posted": request.POST,
        },
    )


def _posted_answers(post) -> dict:
    answers = {name: post.getlist(name) for name in post if name.startswith("q")}
    answers = {name: values if len(values) > 1 else values[0] for name, values in answers.items()}
    answers[HONEYPOT] = post.get(HONEYPOT, "")
    return answers


@csrf_exempt  # answered from anywhere the link is shared; the honeypot and rate limit guard it
@xframe_options_exempt
def public_survey(request, key: str):
    questionnaire = Questionnaire.objects.filter(key=key).first()
    if questionnaire is None or questionnaire.state == Questionnaire.State.DRAFT:
        raise Http404(key)
    context = {
        "questionnaire": questionnaire,
        "questions": questionnaire.questions.all(),
        "honeypot": HONEYPOT,
        "errors": {},
        "posted": request.POST,
        "closed": questionnaire.state != Questionnaire.State.OPEN,
    }
    if request.method != "POST" or context["closed"]:
        return render(request, "marketing/public_survey.html", context)
    try:
        response_submit(
            questionnaire=questionnaire,
            answers=_posted_answers(request.POST),
            via=SurveyResponse.Via.PUBLIC,
            ip=ip_from_request(request) or "unknown",
            respondent=request.POST.get("respondent", ""),
            contact=request.POST.get("contact", ""),
        )
    except DomainError as error:
        context.update(errors=error.fields, message=error.message)
        status = 429 if isinstance(error, RateLimited) else 422
        return render(request, "marketing/public_survey.html", context, status=status)
    return render(request, "marketing/public_survey.html", {**context, "thanked": True})


@permission_required(MARKETING_CAMPAIGNS)
def research_report_page(request, report_id: int):
    report = get_object_or_404(ResearchReport.objects.select_related("questionnaire"), pk=report_id)
    approval = (
        ApprovalRequest.objects.filter(kind="research_report", subject_id=report.pk)
        .order_by("-id")
        .first()
    )
    return render(
        request,
        "marketing/research_report.html",
        {"report": report, "body": rendered_markdown(report.body), "approval": approval},
    )
