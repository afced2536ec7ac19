from datetime import date, datetime
from decimal import Decimal

from django.http import Http404
from ninja import Field, Router, Schema

from .models import Deal
from .queries import deals_of_customer

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
