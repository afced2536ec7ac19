"""Conversion (LEAD-CNV): a won lead becomes a customer, or joins the one it names, with a
deal for its amount and date; the lead keeps pointing at both, so its whole history is
reached from the customer."""

from datetime import date, datetime
from decimal import Decimal

from leadflow.accounts.models import User
from leadflow.customers.intake import Person, Prospect, customer_take_on
from leadflow.sales.deals import deal_record

from .events import lead_converted
from .models import Lead


def convert_won_lead(
    *,
    lead: Lead,
    by: User,
    now: datetime,
    amount: Decimal,
    signed_on: date,
    credit_code: str,
) -> None:
    """Called by `lead_stage_set` inside its transaction when a lead is won."""
    owner = lead.owner or by
    prospect = Prospect(
        kind=lead.kind,
        name=lead.name,
        name_key=lead.company_key,
        credit_code=credit_code,
        industry=lead.industry,
        region=lead.region,
        address=lead.address,
        employees=lead.employees,
        contact=Person(
            name=lead.contact_name,
            title=lead.contact_title,
            mobile=lead.mobile,
            landline=lead.landline,
            email=lead.email,
        ),
    )
    customer, created = customer_take_on(
        prospect=prospect,
        owner=owner,
        by=by,
        now=now,
        source={"lead_id": lead.pk, "lead": lead.number, "channel": lead.channel.code},
    )
    deal = deal_record(
        customer=customer,
        owner=owner,
        title=lead.need[:200],
        amount=amount,
        signed_on=signed_on,
        opened_at=lead.created_at,
        won_at=now,
        source=f"lead {lead.number}",
        by=by,
    )
    lead.customer, lead.deal = customer, deal
    Lead.objects.filter(pk=lead.pk).update(customer=customer, deal=deal)
    lead_converted(lead, customer=customer, new_customer=created, deal=deal, by=by, at=now)
