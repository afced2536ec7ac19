"""Market research (MKT-3): a yearly plan approved like a campaign, questionnaires
answered through a public link (rate limited, with a honeypot, like the public lead
form) or filled in by staff during interviews, summaries per question, and a report
submitted to management. Answers are validated question by question; a respondent's
contact is personal data, encrypted (SEC-2)."""

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.approvals.engine import approval_submit
from leadflow.approvals.kinds import Choice, register_kind
from leadflow.approvals.models import ApprovalRequest
from leadflow.core.audit import audit_record
from leadflow.core.errors import Conflict, Forbidden, RateLimited, ValidationFailed
from leadflow.core.ratelimit import rate_hit
from leadflow.core.storable import check_storable, unstorable_text

from .models import Question, Questionnaire, ResearchPlan, ResearchReport, SurveyResponse
from .permissions import MARKETING_CAMPAIGNS

HONEYPOT = "website"  # invisible to people; a bot that fills it is thanked and ignored
PLAN_KIND, REPORT_KIND = "research_plan", "research_report"
CENTS = Decimal("0.01")


def _researcher(user) -> None:
    if not user.has_permission(MARKETING_CAMPAIGNS):
        raise Forbidden(gettext("Only marketing runs market research."))


# ----------------------------------------------------------------- the plan


@transaction.atomic
def research_plan_create(*, values: Mapping[str, Any], by: User) -> ResearchPlan:
    _researcher(by)
    errors: dict[str, str] = {}
    title = str(values.get("title") or "").strip()
    purpose = str(values.get("purpose") or "").strip()
    if not title:
        errors["title"] = gettext("required: what the research is called")
    if not purpose:
        errors["purpose"] = gettext("required: what it should find out")
    methods = [str(m) for m in values.get("methods") or []]
    if not methods or set(methods) - set(ResearchPlan.Method.values):
        errors["methods"] = gettext("choose one or more methods")
    try:
        year = int(values.get("year") or 0)
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        errors["year"] = gettext("a year like 2027")
    if errors:
        raise ValidationFailed(gettext("The plan was not saved."), fields=errors)
    clean = {
        "year": year,
        "title": title[:200],
        "purpose": purpose[:4000],
        "audience": str(values.get("audience") or "").strip()[:500],
        "content": str(values.get("content") or "").strip()[:4000],
        "methods": methods,
        "schedule": str(values.get("schedule") or "").strip()[:500],
    }
    check_storable(ResearchPlan, clean)
    plan = ResearchPlan.objects.create(**clean, owner=by, created_at=timezone.now())
    audit_record(actor=by, action="research.plan_created", obj=plan)
    return plan


@transaction.atomic
def research_plan_submit(*, plan: ResearchPlan, by: User) -> ApprovalRequest:
    if plan.owner_id != by.pk:
        raise Forbidden(gettext("Only the plan's owner submits it."))
    if plan.state != ResearchPlan.State.DRAFT:
        raise Conflict(gettext("Only a draft plan is submitted."), fields={"state": plan.state})
    ResearchPlan.objects.filter(pk=plan.pk).update(state=ResearchPlan.State.PENDING)
    return approval_submit(
        kind=PLAN_KIND,
        subject=plan,
        by=by,
        reason=plan.purpose[:500],
        title=gettext("Market research plan: %(title)s") % {"title": plan.title},
    )


class _Followed:
    """A subject whose state follows its request: pending, returned, approved, rejected."""

    model: Any
    code: str
    label: Any

    def amount(self, subject, values: Mapping[str, Any]) -> Decimal | None:
        return None

    def visible_to(self, subject, user) -> bool:
        return user.has_permission(MARKETING_CAMPAIGNS)

    def choices(self, subject, by) -> list[Choice]:
        return []

    def _set(self, request: ApprovalRequest, state: str) -> None:
        self.model.objects.filter(pk=request.subject_id).update(state=state)

    def on_progress(self, request: ApprovalRequest) -> None:
        if request.state in ("pending", "returned"):
            self._set(request, "pending" if request.state == "pending" else "returned")
        elif request.state == "withdrawn":
            self._set(request, "draft")

    def on_approved(self, request: ApprovalRequest, *, by, choices: Mapping[str, Any]) -> dict:
        self._set(request, "approved")
        return {}

    def on_closed(self, request: ApprovalRequest, *, by) -> None:
        self._set(request, "rejected" if request.state == "rejected" else "draft")


class ResearchPlanKind(_Followed):
    model = ResearchPlan
    code = PLAN_KIND
    label = _("Market research plan")

    def snapshot(self, subject: ResearchPlan, values: Mapping[str, Any]) -> dict[str, Any]:
        methods = dict(ResearchPlan.Method.choices)
        return {
            "year": subject.year,
            "title": subject.title,
            "purpose": subject.purpose,
            "audience": subject.audience,
            "methods": "、".join(str(methods.get(m, m)) for m in subject.methods),
            "schedule": subject.schedule,
        }

    def url(self, subject: ResearchPlan) -> str:
        return "/marketing/research/"


register_kind(ResearchPlanKind())


# ----------------------------------------------------------------- questionnaires


@dataclass(frozen=True)
class QuestionIn:
    text: str
    kind: str
    options: list[str]
    required: bool = True
    satisfaction: bool = False


@transaction.atomic
def questionnaire_create(
    *,
    title: str,
    questions: Iterable[QuestionIn],
    by: User,
    intro: str = "",
    campaign=None,
    plan: ResearchPlan | None = None,
) -> Questionnaire:
    _researcher(by)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = gettext("required: what the questionnaire is called")
    checked = []
    for number, question in enumerate(questions, start=1):
        field = f"questions.{number}"
        options = [option.strip() for option in question.options if option.strip()]
        if not question.text.strip():
            errors[field] = gettext("the question's text is required")
        elif question.kind not in Question.Kind.values:
            errors[field] = gettext("choose the kind of question")
        elif question.kind in ("single", "multiple") and len(options) < 2:
            errors[field] = gettext("a choice question needs at least two options")
        elif question.satisfaction and question.kind != "scale":
            errors[field] = gettext("only a 1–5 scale question measures satisfaction")
        checked.append((question, options))
    if not checked:
        errors["questions"] = gettext("a questionnaire asks at least one question")
    if errors:
        raise ValidationFailed(gettext("The questionnaire was not saved."), fields=errors)
    check_storable(Questionnaire, {"title": title.strip(), "intro": intro.strip()})
    questionnaire = Questionnaire.objects.create(
        title=title.strip()[:200],
        intro=intro.strip()[:2000],
        key=secrets.token_urlsafe(9),
        plan=plan,
        campaign=campaign,
        created_by=by,
        created_at=timezone.now(),
    )
    Question.objects.bulk_create(
        Question(
            questionnaire=questionnaire,
            position=position,
            text=question.text.strip()[:300],
            kind=question.kind,
            options=options if question.kind in ("single", "multiple") else [],
            required=question.required,
            satisfaction=question.satisfaction,
        )
        for position, (question, options) in enumerate(checked, start=1)
    )
    audit_record(actor=by, action="research.questionnaire_created", obj=questionnaire)
    return questionnaire


@transaction.atomic
def questionnaire_set_state(*, questionnaire: Questionnaire, state: str, by: User) -> None:
    """Open it for answers or close it; a closed one may be opened again."""
    _researcher(by)
    if state not in (Questionnaire.State.OPEN, Questionnaire.State.CLOSED):
        raise ValidationFailed(gettext("Unknown state."), fields={"state": state})
    Questionnaire.objects.filter(pk=questionnaire.pk).update(state=state)
    questionnaire.state = state
    audit_record(actor=by, action=f"research.questionnaire_{state}", obj=questionnaire)


def _answer(question: Question, raw: Any) -> tuple[Any, str]:
    """(the stored answer or None, the reason it is refused or "")."""
    empty = raw in (None, "", [])
    if empty:
        return None, (gettext("required") if question.required else "")
    if question.kind == "text":
        text = str(raw).strip()
        if len(text) > 2000:
            return None, gettext("at most 2000 characters")
        return text, ""
    values = raw if isinstance(raw, list) else [raw]
    try:
        numbers = [int(str(value)) for value in values]
    except ValueError:
        return None, gettext("pick from the options")
    if question.kind == "scale":
        if len(numbers) != 1 or not 1 <= numbers[0] <= 5:
            return None, gettext("a number from 1 to 5")
        return numbers[0], ""
    if any(not 0 <= n < len(question.options) for n in numbers) or (
        question.kind == "single" and len(numbers) != 1
    ):
        return None, gettext("pick from the options")
    return (sorted(set(numbers)) if question.kind == "multiple" else numbers[0]), ""


def response_submit(
    *,
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    via: str,
    by: User | None = None,
    ip: str = "",
    respondent: str = "",
    contact: str = "",
    lead=None,
    customer=None,
) -> SurveyResponse | None:
    """Store one respondent's answers, all or none. A public answer is rate limited per
    address (counted before anything else, refused answers too) and ignored when a bot
    filled the honeypot (None)."""
    if questionnaire.state != Questionnaire.State.OPEN:
        raise Conflict(
            gettext("This questionnaire is not taking answers."),
            fields={"state": questionnaire.state},
        )
    if via == SurveyResponse.Via.PUBLIC:
        key = f"survey:{questionnaire.pk}:{ip or 'unknown'}"
        if not rate_hit(key, limit=questionnaire.rate_per_hour, window=timedelta(hours=1)):
            raise RateLimited(
                gettext("Too many answers from your address; please try again later."),
                fields={"ip": ip},
            )
        if str(answers.get(HONEYPOT) or "").strip():
            return None
    elif by is None or not by.has_permission(MARKETING_CAMPAIGNS):
        raise Forbidden(gettext("Only marketing fills in questionnaires for respondents."))
    with transaction.atomic():
        return _response_store(questionnaire, answers, via, by, respondent, contact, lead, customer)


def _response_store(
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    via: str,
    by: User | None,
    respondent: str,
    contact: str,
    lead,
    customer,
) -> SurveyResponse:
    errors = unstorable_text(dict(answers))
    stored: dict[str, Any] = {}
    for question in questionnaire.questions.all():
        value, problem = _answer(question, answers.get(question.field_name))
        if problem:
            errors[question.field_name] = problem
        elif value is not None:
            stored[str(question.pk)] = value
    if errors:
        raise ValidationFailed(gettext("Please check the marked answers."), fields=errors)
    check_storable(SurveyResponse, {"respondent": respondent.strip()})
    return SurveyResponse.objects.create(
        questionnaire=questionnaire,
        via=via,
        by=by,
        respondent=respondent.strip()[:60],
        contact=contact.strip()[:200],
        lead=lead,
        customer=customer,
        answers=stored,
        submitted_at=timezone.now(),
    )


def summaries(questionnaire: Questionnaire) -> list[dict[str, Any]]:
    """Per question: counts and percentages of each option, or the scale's average and
    spread, or the number of texts and the latest few."""
    responses = list(questionnaire.responses.values_list("answers", flat=True))
    rows = []
    for question in questionnaire.questions.all():
        given = [answers[str(question.pk)] for answers in responses if str(question.pk) in answers]
        row: dict[str, Any] = {
            "question": question.text,
            "kind": question.kind,
            "answers": len(given),
        }
        if question.kind in ("single", "multiple"):
            counts = [0] * len(question.options)
            for value in given:
                for index in value if isinstance(value, list) else [value]:
                    counts[index] += 1
            row["options"] = [
                {
                    "option": option,
                    "count": count,
                    "percent": str((Decimal(100 * count) / len(given)).quantize(Decimal("0.1")))
                    if given
                    else "0.0",
                }
                for option, count in zip(question.options, counts, strict=True)
            ]
        elif question.kind == "scale":
            row["average"] = (
                str((Decimal(sum(given)) / len(given)).quantize(CENTS)) if given else None
            )
            row["spread"] = [given.count(n) for n in range(1, 6)]
        else:
            row["latest"] = given[-5:]
        rows.append(row)
    return rows


def campaign_satisfaction(campaign_id: int) -> Decimal | None:
    """The average of the satisfaction questions answered about the campaign, or None."""
    questions = Question.objects.filter(
        questionnaire__campaign_id=campaign_id, satisfaction=True
    ).values_list("pk", flat=True)
    keys = {str(pk) for pk in questions}
    if not keys:
        return None
    scores = [
        value
        for answers in SurveyResponse.objects.filter(
            questionnaire__campaign_id=campaign_id
        ).values_list("answers", flat=True)
        for key, value in answers.items()
        if key in keys
    ]
    return (Decimal(sum(scores)) / len(scores)).quantize(CENTS) if scores else None


def questionnaires_visible_to(user) -> QuerySet[Questionnaire]:
    if not user.has_permission(MARKETING_CAMPAIGNS):
        return Questionnaire.objects.none()
    return Questionnaire.objects.select_related("campaign", "plan")


# ----------------------------------------------------------------- the report


@transaction.atomic
def report_submit(
    *, questionnaire: Questionnaire, title: str, body: str, by: User
) -> ResearchReport:
    """The report, with the summaries as they are now, to management."""
    _researcher(by)
    errors = {}
    if not title.strip():
        errors["title"] = gettext("required")
    if not body.strip():
        errors["body"] = gettext("required: what the research found")
    if errors:
        raise ValidationFailed(gettext("The report was not sent."), fields=errors)
    check_storable(ResearchReport, {"title": title.strip(), "body": body.strip()})
    report = ResearchReport.objects.create(
        questionnaire=questionnaire,
        title=title.strip()[:200],
        body=body.strip()[:20000],
        summaries=summaries(questionnaire),
        author=by,
        created_at=timezone.now(),
    )
    approval_submit(
        kind=REPORT_KIND,
        subject=report,
        by=by,
        reason=report.title,
        title=gettext("Market research report: %(title)s") % {"title": report.title},
    )
    return report


class ResearchReportKind(_Followed):
    model = ResearchReport
    code = REPORT_KIND
    label = _("Market research report")

    def snapshot(self, subject: ResearchReport, values: Mapping[str, Any]) -> dict[str, Any]:
        return {"title": subject.title, "questionnaire": subject.questionnaire.title}

    def url(self, subject: ResearchReport) -> str:
        return f"/marketing/research/reports/{subject.pk}/"


register_kind(ResearchReportKind())
