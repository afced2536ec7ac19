from datetime import datetime
from typing import Any

from django.http import Http404
from ninja import Field, Query, Router, Schema

from leadflow.core.paging import cursor_page

from .models import Customer
from .queries import customer_for, filtered_customers

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
    category: str = Field(description="potential | intent | closed | key")
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
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    customers = filtered_customers(request.user, q=q, category=category)
    items, next_cursor = cursor_page(customers, cursor=cursor, limit=limit, key="id")
    return {"items": [customer_body(c) for c in items], "next_cursor": next_cursor}


@router.get("/customers/{customer_id}", response=CustomerDetail, summary="One customer")
def customers_get(request, customer_id: int):
    """The profile, contacts and the customer's own timeline; its leads' history is at
    /customers/{id}/lead-history and its deals at /deals?customer_id=."""
    customer = customer_for(request.user, customer_id)
    if customer is None:
        raise Http404
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
