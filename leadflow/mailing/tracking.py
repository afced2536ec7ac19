"""What happens to a sent email (AUT-3): opens by a 1×1 pixel, clicks through signed
redirect links (`/t/c/<token>`: the token signs the message and the URL, so it is no open
redirect, and a bad token gets 404 and records nothing), unsubscribes by the link or the
one-click POST of RFC 8058. Machine opens (privacy prefetch, proxies, opens seconds after
delivery) and scanner clicks are recorded apart and left out of the rates. An unsubscribe
suppresses marketing email to that address everywhere at once."""

import re
from datetime import datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from leadflow.core.audit import audit_record
from leadflow.leads.models import Lead
from leadflow.leads.scoring import lead_event_record

from .models import EmailEvent, EmailMessage, Suppression
from .sending import CLICK_SALT

# User agents of mail proxies and link scanners, and how soon after delivery a
# "person" cannot have opened or clicked yet.
MACHINE_AGENTS = re.compile(
    r"GoogleImageProxy|YahooMailProxy|Outlook-iOS|Barracuda|Proofpoint|Mimecast|"
    r"Symantec|Trend ?Micro|python-requests|curl/|Go-http-client|bot|crawler|spider",
    re.IGNORECASE,
)
TOO_SOON = timedelta(seconds=10)


def event_record(
    message: EmailMessage,
    kind: str,
    at: datetime,
    *,
    machine: bool = False,
    url: str = "",
    user_agent: str = "",
) -> EmailEvent:
    return EmailEvent.objects.create(
        message=message,
        kind=kind,
        at=at,
        machine=machine,
        url=url[:2000],
        user_agent=user_agent[:300],
    )


def _machine(message: EmailMessage, user_agent: str, at: datetime) -> bool:
    if MACHINE_AGENTS.search(user_agent or ""):
        return True
    return message.sent_at is not None and at - message.sent_at < TOO_SOON


def _by_token(token: str) -> EmailMessage | None:
    return EmailMessage.objects.filter(token=token).first() if token else None


@transaction.atomic
def open_record(token: str, user_agent: str) -> EmailMessage | None:
    message = _by_token(token)
    if message is None:
        return None
    now = timezone.now()
    machine = _machine(message, user_agent, now)
    if machine:
        EmailMessage.objects.filter(pk=message.pk).update(machine_opens=F("machine_opens") + 1)
    else:
        EmailMessage.objects.filter(pk=message.pk).update(opens=F("opens") + 1)
        first = EmailMessage.objects.filter(pk=message.pk, first_opened_at__isnull=True).update(
            first_opened_at=now
        )
        if first and message.lead_id and message.purpose == "marketing":
            # The lead's score counts opened marketing emails (LEAD-SCR-4), each once.
            lead_event_record(
                lead=Lead.objects.get(pk=message.lead_id),
                kind="email_opened",
                data={"subject": message.subject},
            )
    event_record(message, EmailEvent.Kind.OPENED, now, machine=machine, user_agent=user_agent)
    return message


def click_target(signed: str) -> tuple[EmailMessage, str] | None:
    """The message and URL a click link signs; None for a link we did not make."""
    try:
        token, url = signing.loads(signed, salt=CLICK_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    message = _by_token(str(token))
    return (message, url) if message else None


@transaction.atomic
def click_record(signed: str, user_agent: str) -> str | None:
    """Record a click and give where it goes; None (record nothing) for a bad link."""
    found = click_target(signed)
    if found is None:
        return None
    message, url = found
    now = timezone.now()
    machine = _machine(message, user_agent, now)
    if not machine:
        first = EmailMessage.objects.filter(pk=message.pk, clicks=0).update(clicks=1)
        if not first:
            EmailMessage.objects.filter(pk=message.pk).update(clicks=F("clicks") + 1)
        if first and message.lead_id and message.purpose == "marketing":
            # The first click a person makes in a marketing email: on the lead's timeline
            # for the journeys and the score rules (LEAD-SCR-4), once per email.
            lead_event_record(
                lead=Lead.objects.get(pk=message.lead_id),
                kind="email_clicked",
                data={"subject": message.subject, "url": url},
            )
    event_record(
        message, EmailEvent.Kind.CLICKED, now, machine=machine, url=url, user_agent=user_agent
    )
    return url


def suppress(
    *, address_hash: str, reason: str, source: str, message: EmailMessage | None = None, by=None
) -> bool:
    """Add the address to the suppression list; False when it was there already."""
    try:
        with transaction.atomic():
            Suppression.objects.create(
                address_hash=address_hash,
                reason=reason,
                source=source,
                message=message,
                by=by,
                at=timezone.now(),
            )
    except IntegrityError:
        return False
    if by is not None:
        audit_record(
            actor=by,
            action="mailing.suppressed",
            object_type="mailing.suppression",
            object_id=address_hash[:12],
            extra={"reason": reason, "source": source},
        )
    return True


@transaction.atomic
def unsubscribe(token: str, *, source: str) -> EmailMessage | None:
    """The person asks for no more marketing email: at once, for every send and journey."""
    message = _by_token(token)
    if message is None:
        return None
    if suppress(
        address_hash=message.address_hash,
        reason=Suppression.Reason.UNSUBSCRIBED,
        source=source,
        message=message,
    ):
        event_record(message, EmailEvent.Kind.UNSUBSCRIBED, timezone.now())
    return message


def suppress_by_hand(*, address: str, by) -> None:
    """Marketing records a person's wish by hand (a call, a letter): suppressed at once."""
    from django.utils.translation import gettext

    from leadflow.core.cleaning import CleaningError, normalize_email
    from leadflow.core.crypto import lookup_hash
    from leadflow.core.errors import Conflict, ValidationFailed

    try:
        email = normalize_email(address)
    except CleaningError:
        raise ValidationFailed(
            gettext("The address was not suppressed."),
            fields={"email": gettext("%(value)r is not an email address") % {"value": address}},
        ) from None
    if not suppress(
        address_hash=lookup_hash(email),
        reason=Suppression.Reason.UNSUBSCRIBED,
        source="by hand",
        by=by,
    ):
        raise Conflict(
            gettext("The address was not suppressed."),
            fields={"email": gettext("suppressed already")},
        )
