from datetime import date, datetime
from decimal import Decimal

from django.http import Http404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from leadflow.core.worktime import WorkCalendar
from leadflow.customers.models import Customer

from .contracts import (
    InstalmentIn,
    ageing,
    contract_draft,
    contract_sign,
    contract_submit,
    contracts_visible_to,
    outstanding,
    payment_plan_set,
    receipt_record,
    received_total,
)
from .models import Contract, Deal
from .queries import deals_of_customer
from .targets import period_span, plan_in_force, progress_rows, time_elapsed

router = Router(tags=["sales"])


class DealOut(Schema):
    id: int
    customer_id: int
    owner: str
    title: str
    amount: Decimal
    signed_on: date
    source: str = Field(description="where it came from, e.g. lead G20260302001")
    opened_at: datetime
    won_at: datetime
    cycle_days: Decimal = Field(description="days from the lead's capture to the win")

    @staticmethod
    def resolve_owner(deal: Deal) -> str:
        return str(deal.owner)


@router.get("/deals", response=list[DealOut], summary="A customer's deals")
def deals_list(request, customer_id: int):
    deals = deals_of_customer(request.user, customer_id)
    if deals is None:
        raise Http404
    return list(deals)


# ----------------------------------------------------------------- contracts (MKT-5)


class ContractIn(Schema):
    customer_id: int | None = None
    deal_id: int | None = None
    title: str = ""
    service: str
    amount: Decimal | None = None
    cost: Decimal | None = Field(None, description="internal, for profit; never printed")
    payment_terms: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    delivery_on: date | None = None
    clauses: str = ""


class InstalmentSchema(Schema):
    due_on: date
    amount: Decimal
    note: str = ""


class ContractOut(Schema):
    id: int
    number: str
    customer_id: int
    deal_id: int | None
    title: str
    service: str
    amount: Decimal
    cost: Decimal | None
    payment_terms: str
    starts_on: date | None
    ends_on: date | None
    delivery_on: date | None
    state: str
    version: int
    signed_on: date | None
    received: Decimal
    instalments: list[InstalmentSchema]

    @staticmethod
    def resolve_received(contract: Contract) -> Decimal:
        return received_total(contract)

    @staticmethod
    def resolve_instalments(contract: Contract) -> list[dict]:
        return [
            {"due_on": i.due_on, "amount": i.amount, "note": i.note}
            for i in contract.instalments.all()
        ]


class PlanIn(Schema):
    instalments: list[InstalmentSchema]


class SignIn(Schema):
    signed_on: date


class ReceiptIn(Schema):
    received_on: date
    amount: Decimal
    method: str = Field(..., description="transfer | acceptance | cheque | cash | other")
    instalment_position: int | None = Field(None, description="the instalment it pays, if any")
    note: str = ""


class AgeingOut(Schema):
    buckets: dict[str, Decimal]
    overdue: list[dict]


def _contract(request, contract_id: int) -> Contract:
    contract = contracts_visible_to(request.user).filter(pk=contract_id).first()
    if contract is None:
        raise Http404
    return contract


@router.get("/contracts", response=list[ContractOut], summary="Contracts I may see")
def contracts_list(request, state: str = ""):
    contracts = contracts_visible_to(request.user)
    if state:
        contracts = contracts.filter(state=state)
    return list(contracts[:500])


@router.post("/contracts", response={201: ContractOut}, summary="Draft a contract")
def contracts_create(request, payload: ContractIn):
    deal = Deal.objects.filter(pk=payload.deal_id or 0).first()
    values = payload.dict(exclude={"customer_id", "deal_id"}, exclude_none=True)
    if not values.get("title"):
        values.pop("title", None)
    return Status(
        201,
        contract_draft(
            values=values,
            by=request.user,
            customer=Customer.objects.filter(pk=payload.customer_id or 0).first(),
            deal=deal,
        ),
    )


@router.get("/contracts/{contract_id}", response=ContractOut, summary="One contract")
def contracts_get(request, contract_id: int):
    return _contract(request, contract_id)


@router.put("/contracts/{contract_id}/plan", response=ContractOut, summary="Its payment plan")
def contracts_plan(request, contract_id: int, payload: PlanIn):
    contract = _contract(request, contract_id)
    payment_plan_set(
        contract=contract,
        plan=[InstalmentIn(i.due_on, i.amount, i.note) for i in payload.instalments],
        by=request.user,
    )
    return contract


@router.post("/contracts/{contract_id}/submit", response=ContractOut, summary="To legal review")
def contracts_submit(request, contract_id: int):
    contract = _contract(request, contract_id)
    contract_submit(contract=contract, by=request.user)
    return _contract(request, contract_id)


@router.post("/contracts/{contract_id}/sign", response=ContractOut, summary="Record the signing")
def contracts_sign(request, contract_id: int, payload: SignIn):
    return contract_sign(
        contract=_contract(request, contract_id), by=request.user, signed_on=payload.signed_on
    )


@router.post(
    "/contracts/{contract_id}/receipts", response={201: ContractOut}, summary="Record a receipt"
)
def contracts_receipt(request, contract_id: int, payload: ReceiptIn):
    contract = _contract(request, contract_id)
    instalment = (
        contract.instalments.filter(position=payload.instalment_position).first()
        if payload.instalment_position
        else None
    )
    receipt_record(
        contract=contract,
        by=request.user,
        received_on=payload.received_on,
        amount=payload.amount,
        method=payload.method,
        instalment=instalment,
        note=payload.note,
    )
    return Status(201, _contract(request, contract_id))


@router.get("/receivables", response=AgeingOut, summary="Receivables ageing")
def receivables(request):
    today = timezone.localdate()
    rows = outstanding(contracts_visible_to(request.user), today, WorkCalendar.for_company())
    return {
        "buckets": ageing(rows, today),
        "overdue": [
            {
                "contract": row.instalment.contract.number,
                "due": str(row.due),
                "owed": str(row.owed),
                "days_overdue": row.days_overdue,
            }
            for row in rows
            if row.due <= today
        ],
    }


class ProgressOut(Schema):
    who: str
    target: Decimal
    actual: Decimal
    completion: Decimal | None = Field(None, description="进度: percent of the target done")
    time_elapsed: Decimal = Field(..., description="时间进度: percent of the period gone")


@router.get("/targets", response=list[ProgressOut], summary="Targets against actuals")
def targets_progress(
    request, year: int, measure: str = "sales", period: str = "year", index: int = 0
):
    start, end = period_span(year, period, index)  # refuses an unknown period first
    plan = plan_in_force(year)
    if plan is None:
        return []
    elapsed = time_elapsed(start, end, timezone.localdate())
    return [
        {
            "who": str(row.who),
            "target": row.target,
            "actual": row.actual,
            "completion": row.completion,
            "time_elapsed": elapsed,
        }
        for row in progress_rows(plan, measure, period, index, request.user)
    ]
