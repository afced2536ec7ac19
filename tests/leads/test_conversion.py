"""Conversion (LEAD-CNV): a won lead becomes a customer with a deal, or joins its customer."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from leadflow.core.errors import Conflict, ValidationFailed
from leadflow.customers.credit_code import check_character
from leadflow.customers.intake import Person, Prospect, customer_take_on
from leadflow.customers.models import Contact, Customer, CustomerEvent
from leadflow.leads.assignment import lead_accept, lead_assign_manual
from leadflow.leads.models import LeadEvent
from leadflow.leads.stages import lead_stage_set
from leadflow.sales.models import Deal

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
CAPTURED = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
WON = CAPTURED + timedelta(days=10, hours=12)
CODE = "91310000MA1FL0000" + check_character("91310000MA1FL0000")


@pytest.fixture
def reps(rep, make_user):
    return rep, make_user(display_name="张华")


def accepted_lead(capture, rep, **values):
    with time_machine.travel(CAPTURED, tick=False):
        lead = capture(**values).lead
        lead.refresh_from_db()
        lead_assign_manual(
            lead=lead, rep=rep, reason="测试", by=rep.team.leader if rep.team else rep
        )
        lead_accept(lead=lead, by=rep)
    lead.refresh_from_db()
    return lead


def win(lead, by, amount="120000.00", **extra):
    with time_machine.travel(WON, tick=False):
        return lead_stage_set(
            lead=lead,
            stage="won",
            fact="合同已签",
            by=by,
            deal_amount=Decimal(amount),
            deal_date=date(2026, 3, 12),
            **extra,
        )


def test_a_won_lead_becomes_a_customer_with_its_contact_and_deal(capture, reps):
    # SPEC: LEAD-CNV-1, LEAD-CNV-2 — customer, contact, deal; cycle and amount stored.
    rep, _ = reps
    lead = win(accepted_lead(capture, rep), rep)
    customer = Customer.objects.get()
    assert (customer.name, customer.category, customer.owner) == (lead.name, "closed", rep)
    assert customer.name_key == lead.company_key
    [contact] = Contact.objects.filter(customer=customer)
    assert (contact.name, contact.mobile, contact.primary) == ("王小明", "+8613800138000", True)
    deal = Deal.objects.get()
    assert (deal.customer, deal.owner, deal.amount) == (customer, rep, Decimal("120000.00"))
    assert deal.signed_on == date(2026, 3, 12)
    assert deal.cycle_days == Decimal("10.50")  # captured → won
    lead.refresh_from_db()
    assert (lead.customer, lead.deal) == (customer, deal)
    converted = LeadEvent.objects.get(lead=lead, kind="converted")
    assert converted.data["new_customer"] is True
    assert CustomerEvent.objects.get(customer=customer).kind == "created"


def test_a_lead_of_a_known_company_joins_its_customer(capture, reps):
    # SPEC: LEAD-CNV-1 — linked to the existing customer by normalised company name.
    rep, other = reps
    known, _ = customer_take_on(
        prospect=Prospect(
            kind="company",
            name="上海某某科技有限公司",
            name_key="上海某某科技有限公司",
            credit_code="",
            industry="制造业",
            region="上海",
            address="",
            employees=None,
            contact=Person(name="李四", mobile="+8613900139000"),
        ),
        owner=rep,
        by=rep,
        now=CAPTURED,
        source={"entered": "by hand"},
    )
    lead = accepted_lead(capture, other, name="上海某某科技有限公司 ")
    win(lead, other, amount="5000")
    customer = Customer.objects.get()
    assert customer == known
    assert customer.owner == rep  # the customer stays with its owner
    assert Deal.objects.get().customer == customer
    assert sorted(customer.contacts.values_list("name", flat=True)) == ["李四", "王小明"]
    assert [e.kind for e in CustomerEvent.objects.order_by("id")] == ["created", "joined"]
    assert LeadEvent.objects.get(lead=lead, kind="converted").data["new_customer"] is False


def test_a_credit_code_links_and_a_wrong_one_changes_nothing(capture, reps):
    # SPEC: LEAD-CNV-1, CUS-1 — matched by credit code; a wrong code is refused whole.
    rep, other = reps
    win(accepted_lead(capture, rep), rep, credit_code=CODE.lower())
    assert Customer.objects.get().credit_code == CODE

    renamed = accepted_lead(
        capture, other, name="某某科技（上海）有限公司", mobile="13700137000", email=""
    )
    with pytest.raises(ValidationFailed) as refused:
        win(renamed, other, credit_code=CODE[:-1] + "X")
    assert "credit_code" in refused.value.fields
    renamed.refresh_from_db()
    assert (renamed.stage, renamed.customer_id, Deal.objects.count()) == ("initial", None, 1)

    win(renamed, other, credit_code=CODE)
    assert Customer.objects.count() == 1
    assert Deal.objects.filter(customer__credit_code=CODE).count() == 2


def test_a_deal_in_the_future_or_a_second_win_is_refused(capture, reps):
    # SPEC: LEAD-STS-2 — moves that break a rule are refused with a clear error.
    rep, _ = reps
    lead = accepted_lead(capture, rep)
    with time_machine.travel(WON, tick=False), pytest.raises(ValidationFailed) as refused:
        lead_stage_set(
            lead=lead,
            stage="won",
            fact="口头答应",
            by=rep,
            deal_amount=Decimal("100"),
            deal_date=date(2026, 4, 1),
        )
    assert "deal_date" in refused.value.fields
    win(lead, rep)
    with pytest.raises(Conflict):
        win(lead, rep)
    assert Deal.objects.count() == 1


def test_the_customer_shows_the_leads_history_and_deals(capture, reps, client_for, api_for):
    # SPEC: LEAD-CNV-1 — the lead's whole timeline is visible from the customer.
    rep, other = reps
    lead = accepted_lead(capture, rep)
    with time_machine.travel(WON, tick=False):
        response = api_for(rep).post(
            f"/api/v1/leads/{lead.pk}/stage",
            {
                "stage": "won",
                "fact": "合同已签",
                "deal_amount": "88000",
                "deal_date": "2026-03-12",
                "credit_code": CODE,
            },
            content_type="application/json",
        )
    assert response.status_code == 200
    customer_id = response.json()["customer_id"]
    assert customer_id == Customer.objects.get().pk

    page = client_for(rep).get(f"/customers/{customer_id}/").content.decode()
    assert lead.name in page
    assert f"/customers/{customer_id}/lead-history/" in page
    history = client_for(rep).get(f"/customers/{customer_id}/lead-history/").content.decode()
    assert lead.number in history
    assert "成为客户" in history  # the "converted" step of the lead's timeline
    deals = client_for(rep).get(f"/customers/{customer_id}/deals/").content.decode()
    assert "¥88,000.00" in deals  # money as the company reads it (#25)

    body = api_for(rep).get(f"/api/v1/customers/{customer_id}").json()
    assert (body["credit_code"], body["contacts"][0]["name"]) == (CODE, "王小明")
    [deal] = api_for(rep).get(f"/api/v1/deals?customer_id={customer_id}").json()
    assert (deal["amount"], deal["cycle_days"], deal["owner"]) == ("88000.00", "10.50", "李明")
    [entry] = api_for(rep).get(f"/api/v1/customers/{customer_id}/lead-history").json()
    kinds = [step["kind"] for step in entry["timeline"]]
    assert kinds[0] == "captured"
    assert {"accepted", "stage", "converted"} <= set(kinds)

    # Another rep outside the owner's scope sees none of it.
    for url in (f"/customers/{customer_id}/", f"/customers/{customer_id}/lead-history/"):
        assert client_for(other).get(url).status_code == 404
    assert api_for(other).get(f"/api/v1/deals?customer_id={customer_id}").status_code == 404
