from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status

from leadflow.accounts.models import User
from leadflow.approvals.api import ApprovalOut
from leadflow.core.errors import ValidationFailed
from leadflow.core.paging import cursor_page
from leadflow.core.personal import personal_data_viewed, personal_list_viewed, shown

from .access import access_request_create
from .cadence import contacts_due, interaction_record
from .confidentiality import (
    contact_reveal,
    sees_whole,
    shown_contact,
    shown_events,
    whole_customer_ids,
)
from .models import Customer, GradeProposal, TeamMember
from .profiles import contact_add, customer_create, customer_update
from .queries import customer_for, filtered_customers
from .reviews import grade_proposal_decide, proposals_for
from .teams import customer_share, share_revoke, team_member_add, team_member_remove

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
    masked: bool = Field(description="true when shown masked: POST …/reveal for the whole value")


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
    risk_reasons: list[str] = Field(description="cadence_missed | orders_falling (CUS-7)")
    risk_since: datetime | None
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


def customer_body(customer: Customer, *, whole: bool) -> dict[str, Any]:
    body = {name: getattr(customer, name) for name in CustomerOut.model_fields}
    body["owner"] = str(customer.owner) if customer.owner else None
    return shown(body, whole=whole)


def customer_bodies(user: User, customers: Iterable[Customer]) -> list[dict[str, Any]]:
    """A list of customers, each as this reader may see it."""
    customers = list(customers)
    whole = whole_customer_ids(user, customers)
    personal_list_viewed(user=user, object_type="customers.customer", shown_whole=len(whole))
    return [customer_body(customer, whole=customer.pk in whole) for customer in customers]


@router.get("/customers", response=CustomerPage, summary="Customers I may see")
def customers_list(
    request,
    q: str = Query("", description="part of the name, the credit code, a contact's phone"),
    category: str = "",
    grade: str = Query("", description="A | B | C | D"),
    region: str = Query("", description="province or province/city prefix"),
    at_risk: bool = Query(False, description="only customers with a churn warning"),
    owner_id: int | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    customers = filtered_customers(
        request.user,
        q=q,
        category=category,
        grade=grade,
        region=region,
        at_risk=at_risk,
        owner_id=owner_id,
    )
    items, next_cursor = cursor_page(customers, cursor=cursor, limit=limit, key="id")
    return {"items": customer_bodies(request.user, items), "next_cursor": next_cursor}


def _visible(request, customer_id: int, *, to_edit: bool = False) -> Customer:
    customer = customer_for(request.user, customer_id, to_edit=to_edit)
    if customer is None:
        raise Http404
    return customer


def _detail(customer: Customer, user: User) -> dict[str, Any]:
    whole = sees_whole(user, customer)
    if whole:
        personal_data_viewed(user=user, obj=customer)
    return {
        **customer_body(customer, whole=whole),
        "contacts": [shown_contact(c, whole=whole) for c in customer.contacts.all()],
        "events": shown_events(customer.events.select_related("actor"), whole=whole),
    }


@router.get("/customers/{customer_id}", response=CustomerDetail, summary="One customer")
def customers_get(request, customer_id: int):
    """The profile, contacts and the customer's own timeline; its leads' history is at
    /customers/{id}/lead-history and its deals at /deals?customer_id=."""
    return _detail(_visible(request, customer_id), request.user)


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
    customer = customer_create(values=values, contacts=contacts, by=request.user)
    return Status(201, _detail(customer, request.user))


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
    changed_on: date | None = Field(
        None, description="when an important change happened; recorded late is marked"
    )


@router.patch("/customers/{customer_id}", response=CustomerDetail, summary="Change a profile")
def customers_update(request, customer_id: int, payload: CustomerChange):
    changes = payload.dict(exclude_unset=True)
    changed_on = changes.pop("changed_on", None)
    customer = customer_update(
        customer=_visible(request, customer_id, to_edit=True),
        changes=changes,
        by=request.user,
        changed_on=changed_on,
    )
    return _detail(customer, request.user)


@router.post(
    "/customers/{customer_id}/contacts", response={201: ContactOut}, summary="Add a contact"
)
def customers_contact_add(request, customer_id: int, payload: ContactIn):
    contact = contact_add(
        customer=_visible(request, customer_id, to_edit=True),
        values=payload.dict(),
        by=request.user,
    )
    return Status(201, shown_contact(contact, whole=True))  # what they just typed


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
        customer=_visible(request, customer_id, to_edit=True), by=request.user, **payload.dict()
    )
    return Status(201, record)


@router.get("/cadence", response=list[CustomerOut], summary="Customers due a contact")
def cadence_list(request, when: str = Query("overdue", description="overdue | week")):
    """The customers I may see that are overdue for a contact, or due this week."""
    return customer_bodies(request.user, contacts_due(request.user, when, timezone.now())[:500])


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


class TeamMemberIn(Schema):
    user_id: int
    role: str = Field(..., description="e.g. 技术支持, 商务")


class TeamMemberOut(Schema):
    id: int
    user_id: int
    user: str
    role: str
    added_at: datetime

    @staticmethod
    def resolve_user(member: TeamMember) -> str:
        return str(member.user)


class ShareIn(Schema):
    user_id: int
    rights: str = Field(..., description="view | edit")
    reason: str
    until: datetime | None = Field(None, description="empty: until revoked")


class ShareOut(Schema):
    id: int
    shared_with_id: int
    rights: str
    reason: str
    until: datetime | None
    at: datetime
    revoked_at: datetime | None


def _user(user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationFailed(
            gettext("No such user."),
            fields={"user_id": gettext("%(value)s is not a user") % {"value": user_id}},
        )
    return user


@router.get("/customers/{customer_id}/team", response=list[TeamMemberOut], summary="The team")
def customers_team(request, customer_id: int):
    return list(_visible(request, customer_id).team.select_related("user"))


@router.post(
    "/customers/{customer_id}/team", response={201: TeamMemberOut}, summary="Add a team member"
)
def customers_team_add(request, customer_id: int, payload: TeamMemberIn):
    member = team_member_add(
        customer=_visible(request, customer_id),
        user=_user(payload.user_id),
        role=payload.role,
        by=request.user,
    )
    return Status(201, member)


@router.delete(
    "/customers/{customer_id}/team/{member_id}", response={204: None}, summary="Remove a member"
)
def customers_team_remove(request, customer_id: int, member_id: int):
    customer = _visible(request, customer_id)
    member = customer.team.filter(pk=member_id).first()
    if member is None:
        raise Http404
    team_member_remove(member=member, by=request.user)
    return Status(204, None)


@router.get("/customers/{customer_id}/shares", response=list[ShareOut], summary="Shares, all")
def customers_shares(request, customer_id: int):
    return list(_visible(request, customer_id).shares.all())


@router.post(
    "/customers/{customer_id}/shares", response={201: ShareOut}, summary="Share with a rep"
)
def customers_share(request, customer_id: int, payload: ShareIn):
    share = customer_share(
        customer=_visible(request, customer_id),
        user=_user(payload.user_id),
        rights=payload.rights,
        reason=payload.reason,
        until=payload.until,
        by=request.user,
    )
    return Status(201, share)


@router.post(
    "/customers/{customer_id}/shares/{share_id}/revoke", response=ShareOut, summary="End a share"
)
def customers_share_revoke(request, customer_id: int, share_id: int):
    share = _visible(request, customer_id).shares.filter(pk=share_id).first()
    if share is None:
        raise Http404
    return share_revoke(share=share, by=request.user)


@router.post(
    "/customers/{customer_id}/contacts/{contact_id}/reveal",
    response=ContactOut,
    summary="See a masked contact whole (logged)",
)
def customers_contact_reveal(request, customer_id: int, contact_id: int):
    contact = _visible(request, customer_id).contacts.filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    return contact_reveal(contact=contact, by=request.user)


class AccessRequestIn(Schema):
    name_or_code: str = Field(..., description="the customer's exact company name or credit code")
    reason: str


@router.post(
    "/customer-access-requests",
    response={201: ApprovalOut},
    summary="Ask for access to another rep's customer (an approval request)",
)
def access_requests_create(request, payload: AccessRequestIn):
    return Status(201, access_request_create(by=request.user, **payload.dict()))
