from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from leadflow.core.paging import cursor_page

from .cadence import contacts_due, interaction_record
from .models import Customer, GradeProposal
from .profiles import contact_add, customer_create, customer_update
from .queries import customer_for, filtered_customers
from .reviews import grade_proposal_decide, proposals_for

router = Router(tags=["customers"])


class ContactOut(Schema):
    id: int
    name: str
    title: str
    role: str
    mobile: str
    landline: str
    email: str
    primary: bool


class CustomerOut(Schema):
    id: int
    kind: str = Field(description="company | individual")
    name: str
    credit_code: str
    industry: str
    region: str
    address: str
    employees: int | None
    legal_representative: str
    business_scope: str
    needs: str
    expected_annual_sales: Decimal | None = Field(description="in 10,000 yuan (万元) a year")
    purchase_frequency: int | None = Field(description="orders a year")
    purchasing_power: str = Field(description="high | medium | low, or empty")
    potential: str
    intent: str
    satisfaction: int | None = Field(description="1–5")
    suggestions: str
    category: str = Field(description="potential | intent | closed | key")
    grade: str = Field(description="A | B | C | D from expected sales and three signs; empty")
    last_contact_at: datetime | None
    next_contact_due: datetime | None = Field(description="by the cadence of the grade")
    owner: str | None
    created_at: datetime


class CustomerEventOut(Schema):
    at: datetime
    kind: str
    actor: str | None
    data: dict[str, Any]


class CustomerDetail(CustomerOut):
    contacts: list[ContactOut]
    events: list[CustomerEventOut] = Field(description="the customer's own timeline")


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: str | None


def customer_body(customer: Customer) -> dict[str, Any]:
    body = {name: getattr(customer, name) for name in CustomerOut.model_fields}
    body["owner"] = str(customer.owner) if customer.owner else None
    return body


@router.get("/customers", response=CustomerPage, summary="Customers I may see")
def customers_list(
    request,
    q: str = Query("", description="part of the name, the credit code, a contact's phone"),
    category: str = "",
    grade: str = Query("", description="A | B | C | D"),
    region: str = Query("", description="province or province/city prefix"),
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    customers = filtered_customers(request.user, q=q, category=category, grade=grade, region=region)
    items, next_cursor = cursor_page(customers, cursor=cursor, limit=limit, key="id")
    return {"items": [customer_body(c) for c in items], "next_cursor": next_cursor}


def _visible(request, customer_id: int) -> Customer:
    customer = customer_for(request.user, customer_id)
    if customer is None:
        raise Http404
    return customer


def _detail(customer: Customer) -> dict[str, Any]:
    return {
        **customer_body(customer),
        "contacts": list(customer.contacts.all()),
        "events": [
            {
                "at": event.at,
                "kind": event.kind,
                "actor": str(event.actor) if event.actor else None,
                "data": event.data,
            }
            for event in customer.events.select_related("actor")
        ],
    }


@router.get("/customers/{customer_id}", response=CustomerDetail, summary="One customer")
def customers_get(request, customer_id: int):
    """The profile, contacts and the customer's own timeline; its leads' history is at
    /customers/{id}/lead-history and its deals at /deals?customer_id=."""
    return _detail(_visible(request, customer_id))


class ContactIn(Schema):
    name: str
    title: str = ""
    role: str = Field("", description="e.g. 采购经理, 决策人")
    mobile: str = Field("", description="any common form, stored as +86…")
    landline: str = ""
    email: str = ""


class CustomerIn(Schema):
    name: str
    kind: str = Field("", description="company | individual; guessed from the name when empty")
    credit_code: str = Field("", description="统一社会信用代码, checked")
    legal_representative: str = ""
    industry: str = ""
    region: str = ""
    address: str = ""
    employees: int | None = None
    business_scope: str = ""
    needs: str = ""
    expected_annual_sales: Decimal | None = Field(None, description="万元 a year")
    purchase_frequency: int | None = None
    purchasing_power: str = ""
    potential: str = ""
    intent: str = ""
    satisfaction: int | None = None
    suggestions: str = ""
    category: str = "potential"
    contacts: list[ContactIn] = []


@router.post("/customers", response={201: CustomerDetail}, summary="Enter a customer by hand")
def customers_create(request, payload: CustomerIn):
    """Refused with 409 and the existing customer's address when the credit code or the
    company name is known already."""
    values = payload.dict()
    contacts = values.pop("contacts")
    return Status(201, _detail(customer_create(values=values, contacts=contacts, by=request.user)))


class CustomerChange(Schema):
    """Only the fields sent change; every change is kept with before and after."""

    model_config = {"extra": "forbid"}
    name: str | None = None
    kind: str | None = None
    credit_code: str | None = None
    legal_representative: str | None = None
    industry: str | None = None
    region: str | None = None
    address: str | None = None
    employees: int | None = None
    business_scope: str | None = None
    needs: str | None = None
    expected_annual_sales: Decimal | None = None
    purchase_frequency: int | None = None
    purchasing_power: str | None = None
    potential: str | None = None
    intent: str | None = None
    satisfaction: int | None = None
    suggestions: str | None = None
    category: str | None = None


@router.patch("/customers/{customer_id}", response=CustomerDetail, summary="Change a profile")
def customers_update(request, customer_id: int, payload: CustomerChange):
    changes = payload.dict(exclude_unset=True)
    customer = customer_update(
        customer=_visible(request, customer_id), changes=changes, by=request.user
    )
    return _detail(customer)


@router.post(
    "/customers/{customer_id}/contacts", response={201: ContactOut}, summary="Add a contact"
)
def customers_contact_add(request, customer_id: int, payload: ContactIn):
    contact = contact_add(
        customer=_visible(request, customer_id), values=payload.dict(), by=request.user
    )
    return Status(201, contact)


class InteractionIn(Schema):
    at: datetime = Field(..., description="when the contact happened")
    method: str = Field(..., description="phone | email | visit | wechat | meeting")
    summary: str = Field(..., description="what the customer said")


class InteractionOut(Schema):
    id: int
    at: datetime
    method: str
    summary: str
    written_at: datetime


@router.post(
    "/customers/{customer_id}/interactions",
    response={201: InteractionOut},
    summary="Record a contact with the customer",
)
def customers_interaction(request, customer_id: int, payload: InteractionIn):
    """Sets the next contact date by the cadence of the customer's grade (CUS-5)."""
    record = interaction_record(
        customer=_visible(request, customer_id), by=request.user, **payload.dict()
    )
    return Status(201, record)


@router.get("/cadence", response=list[CustomerOut], summary="Customers due a contact")
def cadence_list(request, when: str = Query("overdue", description="overdue | week")):
    """The customers I may see that are overdue for a contact, or due this week."""
    return [customer_body(c) for c in contacts_due(request.user, when, timezone.now())[:500]]


class ProposalOut(Schema):
    id: int
    customer_id: int
    customer: str
    current_grade: str
    proposed_grade: str
    changes: dict[str, Any] = Field(description="the profile values a confirmation sets")
    evidence: dict[str, Any] = Field(description="what the review saw: 12 months of deals")
    created_at: datetime

    @staticmethod
    def resolve_customer(proposal: GradeProposal) -> str:
        return proposal.customer.name


class DecisionIn(Schema):
    accept: bool
    note: str = ""


@router.get("/grade-proposals", response=list[ProposalOut], summary="Grade changes to confirm")
def grade_proposals_list(request):
    return list(proposals_for(request.user)[:500])


@router.post(
    "/grade-proposals/{proposal_id}/decide", response=ProposalOut, summary="Confirm or reject"
)
def grade_proposals_decide(request, proposal_id: int, payload: DecisionIn):
    proposal = proposals_for(request.user).filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404
    return grade_proposal_decide(proposal=proposal, by=request.user, **payload.dict())
