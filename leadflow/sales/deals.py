"""Deals (LEAD-CNV): what was sold, for how much, when, and how long winning it took."""

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from leadflow.accounts.models import User
from leadflow.core.errors import ValidationFailed
from leadflow.customers.models import Customer

from .models import Deal

SECONDS_PER_DAY = Decimal(86400)


def cycle_days(opened_at: datetime, won_at: datetime) -> Decimal:
    """Days from opening to winning, to the hundredth (LEAD-CNV-2)."""
    seconds = Decimal(max(0, int((won_at - opened_at).total_seconds())))
    return (seconds / SECONDS_PER_DAY).quantize(Decimal("0.01"))


@transaction.atomic
def deal_record(
    *,
    customer: Customer,
    owner: User,
    title: str,
    amount: Decimal,
    signed_on: date,
    opened_at: datetime,
    won_at: datetime,
    source: str,
    by: User | None,
) -> Deal:
    """Record a won deal; the amount must be above zero and the date not after the win."""
    errors = {}
    if amount is None or amount <= 0:
        errors["deal_amount"] = f"{amount} must be above zero"
    elif amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("1e12"):
        errors["deal_amount"] = f"{amount}: at most 12 digits and 2 decimals"
    if signed_on is not None and signed_on > timezone.localdate(won_at):
        errors["deal_date"] = f"{signed_on} is after today"
    if errors:
        raise ValidationFailed(gettext("The deal was not recorded."), fields=errors)
    return Deal.objects.create(
        customer=customer,
        owner=owner,
        title=title[:200],
        amount=amount,
        signed_on=signed_on,
        opened_at=opened_at,
        won_at=won_at,
        cycle_days=cycle_days(opened_at, won_at),
        source=source[:40],
        created_by=by,
        created_at=won_at,
    )
