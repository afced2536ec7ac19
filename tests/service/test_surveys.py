"""Satisfaction surveys (SVC-4): a signed one-use link that expires; a wrong signature,
an expired or a used link refused with a clear message and nothing stored; an answer on
the ticket, the customer's timeline and satisfaction, and a low score raising the churn
warning (CUS-7). Sent by real SMTP to the customer's contact."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from leadflow.core.errors import Conflict, ValidationFailed
from leadflow.customers.models import Customer, CustomerEvent
from leadflow.customers.profiles import customer_create
from leadflow.notify.models import Delivery
from leadflow.service.models import Survey, TicketCategory, TicketStep
from leadflow.service.surveys import (
    send_periodic_surveys,
    survey_answer,
    survey_send,
    survey_token,
)
from leadflow.service.tickets import ticket_close, ticket_contact, ticket_receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_inquiry(people, customer):
    desk = people.desk
    ticket = ticket_receive(
        values={
            "kind": "inquiry",
            "category": TicketCategory.objects.first().pk,
            "subject": "询问保修期",
            "content": "保修期多长？",
            "customer": customer.pk,
        },
        by=desk,
        via="phone",
    )
    ticket_contact(ticket=ticket, by=desk, text="已答复：整机保修一年")
    return ticket_close(ticket=ticket, by=desk, text="已解答")


def test_a_closed_ticket_sends_a_survey_to_the_customers_contact(closed_inquiry, customer):
    # SPEC: SVC-4 — after service, by email, the address encrypted in the outbox
    survey = Survey.objects.get(ticket=closed_inquiry)
    assert (survey.sent_via, survey.customer) == ("email", customer)
    delivery = Delivery.objects.get(recipient__isnull=True)
    assert delivery.address == "wang@example.cn"
    assert survey_token(survey) in delivery.body
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM notify_delivery WHERE id = %s", [delivery.pk])
        assert "wang@" not in cursor.fetchone()[0]  # encrypted at rest


def test_an_answer_lands_once_everywhere_and_a_low_score_warns(closed_inquiry, customer):
    # SPEC: SVC-4, CUS-1, CUS-7 — on the ticket, the timeline, the satisfaction; ≤ 2 warns
    survey = Survey.objects.get(ticket=closed_inquiry)
    token = survey_token(survey)
    with pytest.raises(ValidationFailed) as refused:
        survey_answer(token=token, score="6")
    assert refused.value.fields == {"score": "请选择 1 到 5 分"}
    survey_answer(token=token, score="2", comment="回复太慢")
    with pytest.raises(Conflict) as again:
        survey_answer(token=token, score="5")
    assert str(again.value) == "此调查已经回复过了，谢谢！"
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (2, "回复太慢")
    assert TicketStep.objects.get(ticket=closed_inquiry, kind="surveyed").data == {"score": 2}
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.satisfaction == 2
    assert customer.risk_reasons == ["low_satisfaction"]
    assert CustomerEvent.objects.filter(customer=customer, kind="surveyed").count() == 1


def test_a_changed_or_expired_link_is_refused_and_stores_nothing(closed_inquiry):
    # SPEC: SVC-4 — wrong signature, expired: refused with a clear message
    survey = Survey.objects.get(ticket=closed_inquiry)
    token = survey_token(survey)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(ValidationFailed) as refused:
        survey_answer(token=forged, score="5")
    assert str(refused.value) == "调查链接无效：请使用邮件中的链接。"
    other = Survey.objects.create(
        customer=survey.customer,
        reason="periodic",
        nonce="guess",
        sent_at=survey.sent_at,
        expires_at=survey.expires_at,
    )
    with pytest.raises(ValidationFailed):  # a real id with a nonce it does not have
        survey_answer(token=survey_token(Survey(pk=other.pk, nonce="other")), score="5")
    with time_machine.travel(survey.expires_at + timedelta(seconds=1), tick=False):
        with pytest.raises(Conflict) as expired:
            survey_answer(token=token, score="5")
    assert str(expired.value) == "此调查链接已过期。"
    assert not Survey.objects.filter(answered_at__isnull=False).exists()


def test_customers_are_surveyed_periodically_by_grade(customer):
    # SPEC: SVC-4 — periodically, per grade (A quarterly by default)
    Customer.objects.filter(pk=customer.pk).update(grade="A")
    now = timezone.now()
    assert send_periodic_surveys(now) == {"sent": 0}  # a new customer waits a period
    later = now + timedelta(days=91)
    assert send_periodic_surveys(later) == {"sent": 1}
    assert send_periodic_surveys(later + timedelta(days=1)) == {"sent": 0}
    assert send_periodic_surveys(later + timedelta(days=91)) == {"sent": 1}
    Customer.objects.filter(pk=customer.pk).update(grade="D")  # D: never, by default
    assert send_periodic_surveys(later + timedelta(days=400)) == {"sent": 0}


def test_a_survey_without_an_email_waits_for_a_call(customer, make_user):
    # SPEC: SVC-4 — no email: kept unsent, its link shown for a call
    bare = customer_create(values={"name": "无邮箱客户有限公司"}, by=make_user())
    survey = survey_send(customer=bare)
    assert survey.sent_via == ""
    assert not Delivery.objects.exists()
