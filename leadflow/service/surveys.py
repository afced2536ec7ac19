"""Satisfaction surveys (SVC-4): 1–5 with an optional comment, sent after a ticket closes
and periodically to each customer by grade, by email with a signed link to a public page
(no login). The link carries the survey's id and a random nonce, signed with the site's
secret: a wrong signature, an expired or an already answered survey is refused with a
clear message and nothing stored. An answer lands on the ticket and on the customer's
timeline, becomes the customer's recorded satisfaction (CUS-1), and a score of 2 or less
raises the churn warning (CUS-7)."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.core.company_settings import define, get_settings
from leadflow.core.errors import Conflict, ValidationFailed
from leadflow.core.storable import text_problem
from leadflow.core.sweeps import sweep
from leadflow.customers.events import customer_event_record
from leadflow.customers.models import Contact, Customer
from leadflow.customers.risk import risk_update
from leadflow.notify.delivery import email_outside

from .clocks import GROUP
from .models import Survey, Ticket, TicketStep

SALT = "leadflow.service.survey"
define(
    "service.survey_valid_days", 14, "int", _("A survey link works for (days)"), GROUP, minimum=1
)
for grade, days, label in (
    ("a", 90, _("Survey grade A customers every (days; 0: never)")),
    ("b", 180, _("Survey grade B customers every (days; 0: never)")),
    ("c", 365, _("Survey grade C customers every (days; 0: never)")),
    ("d", 0, _("Survey grade D customers every (days; 0: never)")),
):
    define(f"service.survey_every_days_{grade}", days, "int", label, GROUP, minimum=0)
BATCH = 200


def survey_token(survey: Survey) -> str:
    return signing.dumps([survey.pk, survey.nonce], salt=SALT)


def survey_url(survey: Survey) -> str:
    return f"{settings.SITE_URL}/service/survey/{survey_token(survey)}/"


def _address(customer: Customer) -> str:
    """The email of the customer's first contact who has one ("" when none does)."""
    for contact in Contact.objects.filter(customer=customer).exclude(email_hash="").order_by("id"):
        if contact.email:
            return contact.email
    return ""


@transaction.atomic
def survey_send(
    *, customer: Customer, ticket: Ticket | None = None, now: datetime | None = None
) -> Survey:
    """A survey for the customer (after `ticket`, or periodic), emailed to their first
    contact with an email; kept unsent (its link shown on the ticket for a call) when
    there is none."""
    now = now or timezone.now()
    days = get_settings("service.")["service.survey_valid_days"]
    survey = Survey.objects.create(
        customer=customer,
        ticket=ticket,
        reason=Survey.Reason.TICKET if ticket else Survey.Reason.PERIODIC,
        nonce=secrets.token_urlsafe(16),
        sent_at=now,
        expires_at=now + timedelta(days=days),
    )
    address = _address(customer)
    if address:
        subject = (
            gettext("How did we do with %(number)s?") % {"number": ticket.number}
            if ticket
            else gettext("How satisfied are you with our service?")
        )
        body = gettext(
            "Dear customer,\n\nPlease tell us how satisfied you are (1 to 5), it takes a "
            "minute:\n%(url)s\n\nThe link works once, for %(days)s days."
        ) % {"url": survey_url(survey), "days": days}
        email_outside(address, subject, body)
        Survey.objects.filter(pk=survey.pk).update(sent_via="email")
        survey.sent_via = "email"
    return survey


@dataclass(frozen=True)
class Opened:
    survey: Survey
    customer_name: str
    ticket_number: str


def survey_open(token: str, now: datetime | None = None) -> Opened:
    """The survey a link is for, or ValidationFailed/Conflict saying why it cannot be
    answered: a link that was changed, one that expired, one already used."""
    now = now or timezone.now()
    try:
        survey_id, nonce = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise ValidationFailed(
            gettext("This survey link is not valid: please use the link in your email."),
            fields={"link": gettext("not a link we sent")},
            code="survey_link_invalid",
        ) from None
    survey = Survey.objects.select_related("customer", "ticket").filter(pk=survey_id).first()
    if survey is None or not secrets.compare_digest(survey.nonce, str(nonce)):
        raise ValidationFailed(
            gettext("This survey link is not valid: please use the link in your email."),
            fields={"link": gettext("not a link we sent")},
            code="survey_link_invalid",
        )
    if survey.answered_at is not None:
        raise Conflict(
            gettext("This survey was answered already. Thank you!"),
            fields={"link": gettext("used")},
            code="survey_answered",
        )
    if survey.expires_at <= now:
        raise Conflict(
            gettext("This survey link has expired."),
            fields={"link": gettext("expired")},
            code="survey_expired",
        )
    return Opened(
        survey,
        survey.customer.name if survey.customer else "",
        survey.ticket.number if survey.ticket else "",
    )


@transaction.atomic
def survey_answer(*, token: str, score: Any, comment: str = "") -> Survey:
    """Store the answer once; two submissions at once store one (the other is told the
    survey was answered)."""
    now = timezone.now()
    survey = survey_open(token, now).survey
    try:
        rating = int(str(score).strip())
    except ValueError:
        rating = 0
    comment = str(comment or "").strip()
    errors = {}
    if not 1 <= rating <= 5:
        errors["score"] = gettext("choose from 1 to 5")
    if len(comment) > 2000 or text_problem(comment):
        errors["comment"] = gettext("at most 2000 characters of plain text")
    if errors:
        raise ValidationFailed(gettext("The answer was not saved."), fields=errors)
    taken = Survey.objects.filter(
        pk=survey.pk, answered_at__isnull=True, expires_at__gt=now
    ).update(answered_at=now, score=rating, comment=comment)
    if taken != 1:
        raise Conflict(
            gettext("This survey was answered already. Thank you!"),
            fields={"link": gettext("used")},
            code="survey_answered",
        )
    survey.refresh_from_db()
    _answer_recorded(survey, now)
    return survey


def _answer_recorded(survey: Survey, now: datetime) -> None:
    if survey.ticket_id:
        TicketStep.objects.create(
            ticket_id=survey.ticket_id,
            kind=TicketStep.Kind.SURVEYED,
            at=now,
            text=survey.comment,
            data={"score": survey.score},
        )
    customer = survey.customer
    if customer is None:
        return
    Customer.objects.filter(pk=customer.pk).update(satisfaction=survey.score)
    customer_event_record(
        customer,
        "surveyed",
        None,
        {
            "score": survey.score,
            "comment": survey.comment,
            "ticket": survey.ticket.number if survey.ticket else "",
        },
        at=now,
    )
    risk_update(
        customer=customer,
        reasons=["low_satisfaction"] if (survey.score or 0) <= 2 else [],
        now=now,
        decides=("low_satisfaction",),
        checked=False,
    )


@sweep("service.periodic_surveys")
def send_periodic_surveys(now: datetime) -> dict[str, Any]:
    """Customers of a surveyed grade whose last survey is older than the grade's period
    (or who never had one) get one, a batch a minute."""
    values = get_settings("service.")
    sent = 0
    for grade in "ABCD":
        days = values[f"service.survey_every_days_{grade.lower()}"]
        if not days:
            continue
        due = now - timedelta(days=days)
        customers = (
            Customer.objects.filter(grade=grade)
            .annotate(last=Max("surveys__sent_at"))
            .filter(Q(last__isnull=True, created_at__lt=due) | Q(last__lt=due))
            .order_by("id")[: BATCH - sent]
        )
        for customer in customers:
            survey_send(customer=customer, now=now)
            sent += 1
        if sent >= BATCH:
            break
    return {"sent": sent}
