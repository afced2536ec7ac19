"""Marketing over HTTP: campaigns (plan, submit, start, end, evaluate, tasks, notes),
expense claims (with their receipts, multipart), reimbursement, and budgets. The same
services as the pages; the same data scope."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import Http404
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from leadflow.accounts.models import Department, User
from leadflow.core.paging import cursor_page
from leadflow.core.permissions import require

from .budgets import LineIn, budget_draft, budget_submit
from .campaigns import (
    campaign_create,
    campaign_end,
    campaign_evaluate,
    campaign_note_add,
    campaign_start,
    campaign_submit,
    campaign_update,
    campaigns_visible_to,
    task_add,
    task_done,
)
from .evaluation import campaign_figures
from .expenses import claim_reimburse, claim_submit, claims_visible_to
from .models import Budget, Campaign, CampaignTask, ExpenseCategory, ExpenseClaim, Questionnaire
from .permissions import MARKETING_BUDGET, MARKETING_CAMPAIGNS
from .research import (
    QuestionIn,
    questionnaire_create,
    questionnaires_visible_to,
    response_submit,
    summaries,
)

router = Router(tags=["marketing"])


class CampaignIn(Schema):
    name: str
    objective: str = Field("leads", description="brand | leads | sales | retention | launch")
    form: str = Field(
        "other",
        description="exhibition | seminar | livestream | email | advertising | promotion | other",
    )
    theme: str = ""
    content: str = ""
    strategy_product: str = ""
    strategy_price: str = ""
    strategy_channel: str = ""
    strategy_promotion: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    place: str = ""
    department_id: int | None = None
    planned_audience: int = 0
    target_participants: int = 0
    target_leads: int = 0
    target_a_leads: int = 0
    target_sales: Decimal = Decimal(0)
    target_satisfaction: Decimal = Decimal(0)
    budget: dict[str, Decimal] = Field(
        default_factory=dict, description="{expense category id: amount in 元}"
    )


class CampaignOut(Schema):
    id: int
    name: str
    state: str
    objective: str
    form: str
    theme: str
    starts_on: date | None
    ends_on: date | None
    place: str
    owner: str | None
    department: str | None
    target_leads: int
    target_sales: Decimal
    evaluation: dict[str, Any]

    @staticmethod
    def resolve_owner(campaign: Campaign) -> str | None:
        return str(campaign.owner) if campaign.owner else None

    @staticmethod
    def resolve_department(campaign: Campaign) -> str | None:
        return campaign.department.name if campaign.department else None


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: str | None


class FiguresOut(Schema):
    figures: dict[str, Any]


class ReasonIn(Schema):
    reason: str = ""


class EvaluationIn(Schema):
    participants: int
    satisfaction: Decimal | None = None
    lessons: str


class NoteIn(Schema):
    text: str


class TaskIn(Schema):
    title: str
    due_on: date
    assignee_id: int | None = None
    department_id: int | None = None


class TaskOut(Schema):
    id: int
    title: str
    due_on: date
    assignee: str | None
    done_at: datetime | None

    @staticmethod
    def resolve_assignee(task: CampaignTask) -> str | None:
        return str(task.assignee) if task.assignee else None


def _campaign(request, campaign_id: int) -> Campaign:
    campaign = campaigns_visible_to(request.user).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return campaign


def _plan(payload: CampaignIn) -> tuple[dict[str, Any], dict[str, Decimal]]:
    values = payload.dict(exclude={"budget", "department_id"})
    values["department"] = Department.objects.filter(pk=payload.department_id or 0).first()
    return values, payload.budget


@router.get("/campaigns", response=CampaignPage, summary="Campaigns I may see")
def campaigns_list(request, state: str = "", cursor: str = "", limit: int = 50):
    campaigns = campaigns_visible_to(request.user)
    if state:
        campaigns = campaigns.filter(state=state)
    items, next_cursor = cursor_page(campaigns, cursor=cursor or None, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/campaigns", response={201: CampaignOut}, summary="Plan a campaign (a draft)")
def campaigns_create(request, payload: CampaignIn):
    require(request.user, MARKETING_CAMPAIGNS)
    values, budget = _plan(payload)
    return Status(201, campaign_create(values=values, budget=budget, by=request.user))


@router.get("/campaigns/{campaign_id}", response=CampaignOut, summary="One campaign")
def campaigns_get(request, campaign_id: int):
    return _campaign(request, campaign_id)


@router.put("/campaigns/{campaign_id}", response=CampaignOut, summary="Change a draft plan")
def campaigns_update(request, campaign_id: int, payload: CampaignIn):
    values, budget = _plan(payload)
    return campaign_update(
        campaign=_campaign(request, campaign_id), values=values, budget=budget, by=request.user
    )


@router.get(
    "/campaigns/{campaign_id}/figures", response=FiguresOut, summary="Results against targets"
)
def campaigns_figures(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    if campaign.state == Campaign.State.EVALUATED:
        return {"figures": campaign.evaluation}
    figures = campaign_figures(campaign)
    return {
        "figures": {
            name: str(value) if isinstance(value, Decimal) else value
            for name, value in figures.items()
        }
    }


@router.post("/campaigns/{campaign_id}/submit", response=CampaignOut, summary="Submit the plan")
def campaigns_submit(request, campaign_id: int, payload: ReasonIn):
    campaign = _campaign(request, campaign_id)
    campaign_submit(campaign=campaign, by=request.user, reason=payload.reason)
    return _campaign(request, campaign_id)


@router.post("/campaigns/{campaign_id}/start", response=CampaignOut, summary="Start it")
def campaigns_start(request, campaign_id: int):
    return campaign_start(campaign=_campaign(request, campaign_id), by=request.user)


@router.post("/campaigns/{campaign_id}/end", response=CampaignOut, summary="End it")
def campaigns_end(request, campaign_id: int):
    return campaign_end(campaign=_campaign(request, campaign_id), by=request.user)


@router.post(
    "/campaigns/{campaign_id}/evaluate", response=CampaignOut, summary="Evaluate (read-only after)"
)
def campaigns_evaluate(request, campaign_id: int, payload: EvaluationIn):
    return campaign_evaluate(
        campaign=_campaign(request, campaign_id),
        by=request.user,
        participants=payload.participants,
        satisfaction=payload.satisfaction,
        lessons=payload.lessons,
    )


@router.post("/campaigns/{campaign_id}/notes", response={201: None}, summary="A progress note")
def campaigns_note(request, campaign_id: int, payload: NoteIn):
    campaign_note_add(campaign=_campaign(request, campaign_id), by=request.user, text=payload.text)
    return Status(201, None)


@router.get("/campaigns/{campaign_id}/tasks", response=list[TaskOut], summary="Its tasks")
def campaigns_tasks(request, campaign_id: int):
    return list(_campaign(request, campaign_id).tasks.select_related("assignee"))


@router.post("/campaigns/{campaign_id}/tasks", response={201: TaskOut}, summary="Add a task")
def campaigns_task_add(request, campaign_id: int, payload: TaskIn):
    task = task_add(
        campaign=_campaign(request, campaign_id),
        by=request.user,
        title=payload.title,
        due_on=payload.due_on,
        assignee=User.objects.filter(pk=payload.assignee_id or 0, is_active=True).first(),
        department=Department.objects.filter(pk=payload.department_id or 0).first(),
    )
    return Status(201, task)


@router.post(
    "/campaigns/{campaign_id}/tasks/{task_id}/done", response=TaskOut, summary="Mark a task done"
)
def campaigns_task_done(request, campaign_id: int, task_id: int):
    task = _campaign(request, campaign_id).tasks.filter(pk=task_id).first()
    if task is None:
        raise Http404
    return task_done(task=task, by=request.user)


class ClaimIn(Schema):
    spent_on: date
    category_id: int
    amount: Decimal
    reason: str
    campaign_id: int | None = None


class ClaimOut(Schema):
    id: int
    claimant: str
    spent_on: date
    category: str
    amount: Decimal
    reason: str
    campaign_id: int | None
    state: str
    paid_on: date | None
    receipts: int

    @staticmethod
    def resolve_claimant(claim: ExpenseClaim) -> str:
        return str(claim.claimant)

    @staticmethod
    def resolve_category(claim: ExpenseClaim) -> str:
        return claim.category.name

    @staticmethod
    def resolve_receipts(claim: ExpenseClaim) -> int:
        return claim.attachments.count()


class ClaimPage(Schema):
    items: list[ClaimOut]
    next_cursor: str | None


class ClaimFilters(Schema):
    mine: bool = False
    state: str = ""
    cursor: str = ""
    limit: int = 50


class PaidIn(Schema):
    paid_on: date


@router.get("/claims", response=ClaimPage, summary="Expense claims I may see")
def claims_list(request, filters: Query[ClaimFilters]):
    claims = claims_visible_to(request.user)
    if filters.mine:
        claims = claims.filter(claimant=request.user)
    if filters.state:
        claims = claims.filter(state=filters.state)
    items, next_cursor = cursor_page(claims, cursor=filters.cursor or None, limit=filters.limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/claims",
    response={201: ClaimOut},
    summary="Claim an expense, receipts attached (multipart/form-data)",
)
def claims_create(
    request,
    payload: Form[ClaimIn],
    receipts: File[list[UploadedFile]] = None,  # type: ignore[assignment]
):
    values = {
        "spent_on": payload.spent_on,
        "category": ExpenseCategory.objects.filter(pk=payload.category_id).first(),
        "amount": payload.amount,
        "reason": payload.reason,
        "campaign": Campaign.objects.filter(pk=payload.campaign_id or 0).first(),
    }
    return Status(201, claim_submit(values=values, by=request.user, receipts=receipts or []))


def _claim(request, claim_id: int) -> ExpenseClaim:
    claim = claims_visible_to(request.user).filter(pk=claim_id).first()
    if claim is None:
        raise Http404
    return claim


@router.get("/claims/{claim_id}", response=ClaimOut, summary="One claim")
def claims_get(request, claim_id: int):
    return _claim(request, claim_id)


@router.post("/claims/{claim_id}/reimburse", response=ClaimOut, summary="Finance pays it")
def claims_reimburse(request, claim_id: int, payload: PaidIn):
    return claim_reimburse(
        claim=_claim(request, claim_id), by=request.user, paid_on=payload.paid_on
    )


class BudgetLineIn(Schema):
    category_id: int
    amount: Decimal
    department_id: int | None = None
    month: int | None = Field(None, description="1–12, or none for the whole year")


class BudgetIn(Schema):
    year: int
    note: str = ""
    lines: list[BudgetLineIn]


class BudgetOut(Schema):
    id: int
    year: int
    version: int
    state: str
    note: str
    lines: list[dict[str, Any]]

    @staticmethod
    def resolve_lines(budget: Budget) -> list[dict[str, Any]]:
        return [
            {
                "category": line.category.name,
                "department": line.department.name if line.department else None,
                "month": line.month,
                "amount": str(line.amount),
            }
            for line in budget.lines.select_related("category", "department")
        ]


def _budget_keeper(request) -> None:
    if not request.user.has_permission(MARKETING_BUDGET):
        raise Http404


@router.get("/budgets", response=list[BudgetOut], summary="Budget versions of a year")
def budgets_list(request, year: int):
    _budget_keeper(request)
    return list(Budget.objects.filter(year=year))


@router.post("/budgets", response={201: BudgetOut}, summary="Draft a budget version")
def budgets_create(request, payload: BudgetIn):
    categories = ExpenseCategory.objects.in_bulk([line.category_id for line in payload.lines])
    departments = Department.objects.in_bulk(
        [line.department_id for line in payload.lines if line.department_id]
    )
    lines = [
        LineIn(
            category=categories.get(line.category_id),
            amount=line.amount,
            department=departments.get(line.department_id) if line.department_id else None,
            month=line.month,
        )
        for line in payload.lines
    ]
    return Status(
        201, budget_draft(year=payload.year, lines=lines, by=request.user, note=payload.note)
    )


@router.post("/budgets/{budget_id}/submit", response=BudgetOut, summary="Send for approval")
def budgets_submit(request, budget_id: int):
    _budget_keeper(request)
    budget = Budget.objects.filter(pk=budget_id).first()
    if budget is None:
        raise Http404
    budget_submit(budget=budget, by=request.user)
    return budget


class QuestionSchema(Schema):
    id: int | None = None
    text: str
    kind: str = Field(..., description="single | multiple | scale | text")
    options: list[str] = Field(default_factory=list)
    required: bool = True
    satisfaction: bool = False


class QuestionnaireIn(Schema):
    title: str
    intro: str = ""
    campaign_id: int | None = None
    questions: list[QuestionSchema]


class QuestionnaireOut(Schema):
    id: int
    title: str
    intro: str
    state: str
    key: str = Field(..., description="the public link is /s/<key>")
    campaign_id: int | None
    questions: list[QuestionSchema]
    summaries: list[dict[str, Any]]

    @staticmethod
    def resolve_questions(questionnaire: Questionnaire) -> list[dict[str, Any]]:
        return [
            {
                "id": q.pk,
                "text": q.text,
                "kind": q.kind,
                "options": q.options,
                "required": q.required,
                "satisfaction": q.satisfaction,
            }
            for q in questionnaire.questions.all()
        ]

    @staticmethod
    def resolve_summaries(questionnaire: Questionnaire) -> list[dict[str, Any]]:
        return summaries(questionnaire)


class ResponseIn(Schema):
    answers: dict[str, Any] = Field(
        ..., description='{"q<question id>": option index, [indexes], 1–5 or text}'
    )
    respondent: str = ""
    contact: str = ""


class ResponseOut(Schema):
    id: int
    submitted_at: datetime
    answers: dict[str, Any]


def _questionnaire(request, questionnaire_id: int) -> Questionnaire:
    found = questionnaires_visible_to(request.user).filter(pk=questionnaire_id).first()
    if found is None:
        raise Http404
    return found


@router.get("/questionnaires", response=list[QuestionnaireOut], summary="Questionnaires")
def questionnaires_list(request):
    return list(questionnaires_visible_to(request.user)[:200])


@router.post("/questionnaires", response={201: QuestionnaireOut}, summary="Make a questionnaire")
def questionnaires_create(request, payload: QuestionnaireIn):
    questionnaire = questionnaire_create(
        title=payload.title,
        intro=payload.intro,
        questions=[
            QuestionIn(q.text, q.kind, q.options, q.required, q.satisfaction)
            for q in payload.questions
        ],
        campaign=campaigns_visible_to(request.user).filter(pk=payload.campaign_id or 0).first(),
        by=request.user,
    )
    return Status(201, questionnaire)


@router.get(
    "/questionnaires/{questionnaire_id}",
    response=QuestionnaireOut,
    summary="A questionnaire, its questions and the summaries of its answers",
)
def questionnaires_get(request, questionnaire_id: int):
    return _questionnaire(request, questionnaire_id)


@router.post(
    "/questionnaires/{questionnaire_id}/responses",
    response={201: ResponseOut},
    summary="Answers taken by staff (an interview)",
)
def questionnaires_respond(request, questionnaire_id: int, payload: ResponseIn):
    response = response_submit(
        questionnaire=_questionnaire(request, questionnaire_id),
        answers=payload.answers,
        via="staff",
        by=request.user,
        respondent=payload.respondent,
        contact=payload.contact,
    )
    return Status(201, response)
