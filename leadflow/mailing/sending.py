"""Sending email (AUT-3): templates kept and previewed with a real lead, a test to
oneself, and one-off sends to a filtered list of leads (群发). A marketing email goes only
to a person whose consent allows it, whose address is not suppressed (unsubscribed or
bounced hard) and who is under the weekly cap; its subject carries the advertising mark.
Messages wait in their own outbox and the worker sends them over one SMTP connection per
batch, at the per-minute rate set, each with its own Message-ID and the List-Unsubscribe
headers (RFC 8058). An SMTP refusal at send time is a hard bounce (5xx: repeated ones
suppress the address) or a deferral (4xx: tried again later)."""

import hashlib
import re
import secrets
import smtplib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from leadflow.core.audit import audit_record, register_action_labels
from leadflow.core.company_settings import define, get_settings
from leadflow.core.crypto import lookup_hash
from leadflow.core.errors import Forbidden, ValidationFailed
from leadflow.core.faults import fault_point
from leadflow.core.storable import unstorable_fields
from leadflow.core.sweeps import sweep
from leadflow.leads.models import Lead
from leadflow.leads.queries import leads_visible_to
from leadflow.notify.delivery import new_message_id

from .ab import Arm, decide
from .models import EmailEvent, EmailMessage, EmailSend, EmailTemplate, Suppression
from .permissions import MAILING_SEND
from .rendering import Rendered, merge_context, render, template_check

GROUP = _("Email")
define("mailing.ad_mark", "【广告】", "str", _("Mark at the start of a marketing subject"), GROUP)
define(
    "mailing.weekly_cap",
    2,
    "int",
    _("At most this many marketing emails a week to one person"),
    GROUP,
    minimum=1,
    maximum=50,
)
define(
    "mailing.per_minute",
    600,
    "int",
    _("Send at most this many emails a minute"),
    GROUP,
    minimum=1,
    maximum=100_000,
)
define(
    "mailing.hard_bounces",
    2,
    "int",
    _("Suppress an address after this many hard bounces"),
    GROUP,
    minimum=1,
    maximum=10,
)
define("mailing.company_name", "", "str", _("Company name shown in emails"), GROUP)
register_action_labels(
    {
        "mailing.": _("changed email"),
        "mailing.template_saved": _("saved email template"),
        "mailing.send_created": _("started a send of"),
        "mailing.test_sent": _("sent a test of email template"),
        "mailing.suppressed": _("suppressed an email address"),
        "mailing.sales_email": _("sent a sales email to lead"),
    }
)
CLICK_SALT = "leadflow.mailing.click"
BATCH = 200
_LINK = re.compile(r'href="(https?://[^"]+)"', re.IGNORECASE)


# ----------------------------------------------------------------- templates


def _sender(user) -> None:
    if not user.has_permission(MAILING_SEND):
        raise Forbidden(gettext("Only marketing sends email to lists."))


@transaction.atomic
def template_save(
    *, values: Mapping[str, Any], by, template: EmailTemplate | None = None
) -> EmailTemplate:
    _sender(by)
    clean = {
        name: str(values.get(name) or "").strip()
        for name in ("name", "subject", "html", "text", "purpose")
    }
    errors: dict[str, str] = {}
    for name in ("name", "subject", "html", "text"):
        if not clean[name]:
            errors[name] = gettext("required")
    if clean["purpose"] not in EmailTemplate.Purpose.values:
        errors["purpose"] = gettext("marketing or sales follow-up")
    duplicate = EmailTemplate.objects.filter(name=clean["name"])
    if template is not None:
        duplicate = duplicate.exclude(pk=template.pk)
    if clean["name"] and duplicate.exists():
        errors["name"] = gettext("another template has this name")
    errors.update(unstorable_fields(EmailTemplate, clean))
    if errors:
        raise ValidationFailed(gettext("The template was not saved."), fields=errors)
    template_check(subject=clean["subject"], html=clean["html"], text=clean["text"])
    now = timezone.now()
    if template is None:
        template = EmailTemplate.objects.create(
            **clean, created_by=by, created_at=now, updated_at=now
        )
    else:
        for name, value in clean.items():
            setattr(template, name, value)
        template.updated_at = now
        template.save()
    audit_record(actor=by, action="mailing.template_saved", obj=template)
    return template


def company_name() -> str:
    return (
        get_settings("mailing.")["mailing.company_name"]
        or settings.DEFAULT_FROM_EMAIL.split("<")[0].strip()
    )


def preview(template: EmailTemplate, lead: Lead) -> Rendered:
    """The template as this lead would get it (the owner's fields from the lead's owner)."""
    return render(template, merge_context(lead, lead.owner, company_name()))


# ----------------------------------------------------------------- who may get marketing


def suppressed(address: str) -> bool:
    return Suppression.objects.filter(address_hash=lookup_hash(address.lower())).exists()


def _weekly_counts(hashes: Iterable[str], now: datetime) -> Counter:
    """Marketing messages per address in the last 7 days (queued ones too)."""
    return Counter(
        EmailMessage.objects.filter(
            address_hash__in=list(hashes),
            purpose=EmailTemplate.Purpose.MARKETING,
            created_at__gte=now - timedelta(days=7),
        )
        .exclude(status=EmailMessage.Status.FAILED)
        .values_list("address_hash", flat=True)
    )


def audience(by, filters: Mapping[str, Any]) -> QuerySet[Lead]:
    """The leads a send goes to: those the sender sees, with an email, narrowed by the
    filter (channel, grade, stage, status, region, campaign)."""
    leads = leads_visible_to(by).exclude(email_hash="").exclude(status="merged")
    for field in ("channel", "grade", "stage", "status", "region", "campaign"):
        value = str(filters.get(field) or "").strip()
        if value:
            leads = leads.filter(
                **{f"{field}_id" if field in ("channel", "campaign") else field: value}
            )
    return leads.select_related("owner")


# ----------------------------------------------------------------- queuing


def _decorated(rendered: Rendered, token: str, *, marketing: bool) -> Rendered:
    """Links through the click tracker, the open pixel, and for marketing the
    unsubscribe line in both bodies and the advertising mark in the subject."""
    base = settings.SITE_URL
    html = _LINK.sub(
        lambda match: f'href="{escape(click_url(token, match.group(1)))}"', rendered.html
    )
    text = rendered.text
    subject = rendered.subject
    if marketing:
        unsubscribe = f"{base}/u/{token}/"
        line = gettext("Unsubscribe")
        html += f'<p style="font-size:12px;color:#888"><a href="{unsubscribe}">{line}</a></p>'
        text += f"\n\n{line}: {unsubscribe}\n"
        mark = get_settings("mailing.")["mailing.ad_mark"]
        if mark and not subject.startswith(mark):
            subject = f"{mark}{subject}"
    html += f'<img src="{base}/t/o/{token}.gif" width="1" height="1" alt="">'
    return Rendered(subject=subject[:250], html=html, text=text)


def click_url(token: str, url: str) -> str:
    return f"{settings.SITE_URL}/t/c/{signing.dumps([token, url], salt=CLICK_SALT, compress=True)}"


def _message(
    template: EmailTemplate, lead: Lead | None, address: str, now: datetime, send=None, owner=None
) -> EmailMessage:
    token = secrets.token_urlsafe(16)
    marketing = template.purpose == EmailTemplate.Purpose.MARKETING
    rendered = _decorated(
        render(
            template, merge_context(lead, owner or (lead.owner if lead else None), company_name())
        ),
        token,
        marketing=marketing,
    )
    return EmailMessage(
        send=send,
        template=template,
        purpose=template.purpose,
        lead=lead,
        address=address,
        address_hash=lookup_hash(address.lower()),
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        message_id=new_message_id(),
        token=token,
        next_attempt_at=now,
        created_at=now,
    )


@transaction.atomic
def template_test_send(*, template: EmailTemplate, by, lead: Lead | None = None) -> EmailMessage:
    """The template to oneself, as `lead` (or a blank lead) would get it."""
    _sender(by)
    if not by.email:
        raise ValidationFailed(
            gettext("Add your email to your profile first."),
            fields={"email": gettext("your profile has no email")},
        )
    message = _message(template, lead, by.email, timezone.now(), owner=by)
    message.subject = (gettext("[Test] %(subject)s") % {"subject": message.subject})[:250]
    message.save()
    audit_record(actor=by, action="mailing.test_sent", obj=template)
    deliver_messages.enqueue([message.pk])  # the task row commits with the message
    return message


@dataclass(frozen=True)
class ABTest:
    """An A/B test of a send: the other variants, the share of the list tested (split
    evenly over all variants by a hash of the lead, so the same lead always lands in the
    same variant), what wins, and when it is decided."""

    variants: list[EmailTemplate]
    share: int = 20
    metric: str = "click"
    decide_after_hours: int = 24
    significance: Decimal = Decimal("0.05")
    min_sample: int = 200

    def errors(self) -> dict[str, str]:
        found = {}
        if not 1 <= len(self.variants) <= 3:
            found["variants"] = gettext("one to three other variants")
        if not 1 <= self.share <= 100:
            found["test_share"] = gettext("from 1 to 100 (%)")
        if self.metric not in ("click", "open"):
            found["metric"] = gettext("unique clicks or unique opens")
        if not 1 <= self.decide_after_hours <= 24 * 14:
            found["decide_after_hours"] = gettext("from 1 hour to 14 days")
        if not Decimal("0.001") <= self.significance <= Decimal("0.2"):
            found["significance"] = gettext("from 0.001 to 0.2")
        if self.min_sample < 1:
            found["min_sample"] = gettext("at least 1")
        return found


def in_test(send: EmailSend, lead_id: int) -> tuple[bool, int]:
    """(whether the lead is in the test share, its variant): from a hash of the send and
    the lead, so it is the same on every run."""
    value = int(hashlib.sha256(f"{send.pk}:{lead_id}".encode()).hexdigest()[:12], 16)
    return value % 100 < send.test_share, (value // 100) % (len(send.variants) + 1)


@transaction.atomic
def send_create(
    *,
    template: EmailTemplate,
    name: str,
    filters: Mapping[str, Any],
    by,
    campaign=None,
    test: ABTest | None = None,
) -> EmailSend:
    """A one-off send to the leads the filter finds: its messages are made by the worker
    (a list may hold a hundred thousand), then sent at the set rate. With a test, only
    its share gets the variants now; the rest waits for the decision."""
    _sender(by)
    if test is not None and (errors := test.errors()):
        raise ValidationFailed(gettext("The send was not started."), fields=errors)
    if not template.active:
        raise ValidationFailed(
            gettext("The send was not started."), fields={"template": gettext("switched off")}
        )
    if not name.strip():
        raise ValidationFailed(
            gettext("The send was not started."), fields={"name": gettext("required")}
        )
    found = audience(by, filters).count()
    if not found:
        raise ValidationFailed(
            gettext("The send was not started."),
            fields={"audience": gettext("no lead with an email matches the filter")},
        )
    now = timezone.now()
    send = EmailSend.objects.create(
        template=template,
        name=name.strip()[:200],
        audience={k: str(v) for k, v in filters.items() if v},
        campaign=campaign,
        chosen=found,
        by=by,
        created_at=now,
        **(
            {
                "variants": [variant.pk for variant in test.variants],
                "test_share": test.share,
                "metric": test.metric,
                "significance": test.significance,
                "min_sample": test.min_sample,
                "decide_at": now + timedelta(hours=test.decide_after_hours),
            }
            if test
            else {}
        ),
    )
    audit_record(actor=by, action="mailing.send_created", obj=template, extra={"send": send.name})
    prepare_send.enqueue(send.pk)  # the task row commits with the send
    return send


def send_templates(send: EmailSend) -> list[EmailTemplate]:
    """A, then B, C, D in the order given."""
    others = EmailTemplate.objects.in_bulk(send.variants)
    return [send.template, *(others[pk] for pk in send.variants if pk in others)]


@task()
def prepare_send(send_id: int, rest: bool = False) -> dict[str, int]:
    """Make a send's messages, a batch per transaction: each lead checked for consent,
    suppression and the weekly cap (a skipped lead is counted by why). A tested send
    first makes the test share's messages (each lead's own variant) and holds the rest;
    `rest`: after the decision, the held leads get the winner."""
    send = EmailSend.objects.select_related("template", "by").get(pk=send_id)
    templates = send_templates(send)
    winner = int(send.decision.get("winner", 0)) if rest else 0
    template = templates[winner]
    testing = bool(send.test_share) and not rest
    held = 0
    marketing = template.purpose == EmailTemplate.Purpose.MARKETING
    skipped: Counter = Counter(send.skipped)
    cap = get_settings("mailing.")["mailing.weekly_cap"]
    done_ids = set(send.messages.values_list("lead_id", flat=True))
    leads = audience(send.by, send.audience).exclude(pk__in=done_ids).order_by("id")
    made, last_id = 0, 0
    while True:
        batch = list(leads.filter(pk__gt=last_id)[:BATCH])
        if not batch:
            break
        last_id = batch[-1].pk
        now = timezone.now()
        with transaction.atomic():
            addresses = {lead.pk: (lead.email or "").strip() for lead in batch}
            hashes = {pk: lookup_hash(a.lower()) for pk, a in addresses.items()}
            blocked = set(
                Suppression.objects.filter(address_hash__in=hashes.values()).values_list(
                    "address_hash", flat=True
                )
            )
            counts = _weekly_counts(hashes.values(), now) if marketing else Counter()
            messages = []
            for lead in batch:
                done_ids.add(lead.pk)
                tested, variant = in_test(send, lead.pk) if send.test_share else (False, 0)
                if testing and not tested:
                    held += 1
                    continue
                if rest and tested:
                    continue  # the test share was handled before the decision
                if marketing and lead.lawful_basis != "consent":
                    skipped["no_consent"] += 1
                elif marketing and hashes[lead.pk] in blocked:
                    skipped["suppressed"] += 1
                elif marketing and counts[hashes[lead.pk]] >= cap:
                    skipped["capped"] += 1
                else:
                    counts[hashes[lead.pk]] += 1
                    chosen = variant if testing else winner
                    messages.append(
                        _message(templates[chosen], lead, addresses[lead.pk], now, send=send)
                    )
                    messages[-1].variant = chosen
            EmailMessage.objects.bulk_create(messages)
            made += len(messages)
            EmailSend.objects.filter(pk=send.pk).update(
                skipped=dict(skipped), state=EmailSend.State.SENDING
            )
    if testing:
        EmailSend.objects.filter(pk=send.pk).update(held=held)
    deliver_due.enqueue()
    return {"made": made, **skipped}


# ----------------------------------------------------------------- delivering


def _email(message: EmailMessage, connection) -> EmailMultiAlternatives:
    base = settings.SITE_URL
    domain = urlsplit(base).hostname or "localhost"
    headers = {"Message-ID": message.message_id}
    if message.purpose == EmailTemplate.Purpose.MARKETING:
        headers["List-Unsubscribe"] = (
            f"<mailto:unsubscribe@{domain}?subject={message.token}>, <{base}/u/{message.token}/>"
        )
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    writer = message.by if message.by_id else None
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        to=[message.address],
        reply_to=[writer.email] if writer and writer.email else None,
        headers=headers,
        connection=connection,
    )
    email.attach_alternative(message.html, "text/html")
    return email


def _claim(limit: int, now: datetime) -> list[EmailMessage]:
    """Up to `limit` due messages, taken by this worker (others skip locked rows)."""
    with transaction.atomic():
        due = list(
            EmailMessage.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=(EmailMessage.Status.QUEUED, EmailMessage.Status.SOFT_BOUNCE),
                next_attempt_at__lte=now,
            )
            .order_by("next_attempt_at", "id")[:limit]
        )
        EmailMessage.objects.filter(pk__in=[m.pk for m in due]).update(
            next_attempt_at=now + timedelta(minutes=10)  # a lease: a crash retries later
        )
    return due


def _sent_this_minute(now: datetime) -> int:
    return EmailMessage.objects.filter(sent_at__gte=now - timedelta(minutes=1)).count()


def _bounced(message: EmailMessage, code: int, error: str, now: datetime) -> None:
    from .tracking import event_record, suppress

    hard = 500 <= code < 600
    if hard:
        EmailMessage.objects.filter(pk=message.pk).update(
            status=EmailMessage.Status.BOUNCED, error=error[:300], attempts=message.attempts + 1
        )
        event_record(message, "bounced", now)
        bounces = EmailMessage.objects.filter(
            address_hash=message.address_hash, status=EmailMessage.Status.BOUNCED
        ).count()
        if bounces >= get_settings("mailing.")["mailing.hard_bounces"]:
            suppress(
                address_hash=message.address_hash,
                reason=Suppression.Reason.BOUNCED,
                source="smtp",
                message=message,
            )
        return
    attempts = message.attempts + 1
    EmailMessage.objects.filter(pk=message.pk).update(
        status=EmailMessage.Status.SOFT_BOUNCE if attempts < 5 else EmailMessage.Status.FAILED,
        error=error[:300],
        attempts=attempts,
        next_attempt_at=now + timedelta(minutes=5 * 2**attempts),
    )


def deliver(messages: list[EmailMessage], now: datetime | None = None) -> Counter:
    """Send these messages over one SMTP connection. Each one's status is stored the
    moment the server accepts it (a crash after that never sends it twice); their
    "delivered" events are written together at the end."""
    outcomes: Counter = Counter()
    delivered: list[EmailEvent] = []
    if not messages:
        return outcomes
    connection = get_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        later = (now or timezone.now()) + timedelta(minutes=5)
        EmailMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
            next_attempt_at=later, error=str(error)[:300]
        )
        outcomes["unreachable"] += len(messages)
        return outcomes
    try:
        for message in messages:
            moment = now or timezone.now()
            try:
                _email(message, connection).send()
            except smtplib.SMTPRecipientsRefused as error:
                code, reply = next(iter(error.recipients.values()))
                _bounced(message, code, f"{code} {reply!r}", moment)
                outcomes["bounced" if 500 <= code < 600 else "deferred"] += 1
                continue
            except smtplib.SMTPResponseException as error:
                _bounced(
                    message, error.smtp_code, f"{error.smtp_code} {error.smtp_error!r}", moment
                )
                outcomes["bounced" if 500 <= error.smtp_code < 600 else "deferred"] += 1
                continue
            fault_point("mailing.accepted")  # the server has it, we have not noted it yet
            EmailMessage.objects.filter(pk=message.pk).update(
                status=EmailMessage.Status.SENT, sent_at=moment, attempts=message.attempts + 1
            )
            delivered.append(EmailEvent(message=message, kind=EmailEvent.Kind.DELIVERED, at=moment))
            outcomes["sent"] += 1
    finally:
        EmailEvent.objects.bulk_create(delivered)
        try:
            connection.close()
        except (OSError, smtplib.SMTPException):
            pass
    return outcomes


@task()
def deliver_messages(message_ids: list[int]) -> dict[str, int]:
    """Send these now (a test to oneself): no rate, no batch."""
    messages = list(EmailMessage.objects.filter(pk__in=message_ids, status="queued"))
    return dict(deliver(messages))


@task()
def deliver_due() -> dict[str, int]:
    """The outbox, within the per-minute rate; what is left waits for the next minute."""
    return dict(_deliver_batch(timezone.now()))


def _deliver_batch(now: datetime) -> Counter:
    room = get_settings("mailing.")["mailing.per_minute"] - _sent_this_minute(now)
    outcomes: Counter = Counter()
    while room > 0:
        messages = _claim(min(room, BATCH), now)
        if not messages:
            break
        outcomes += deliver(messages, now)
        room -= len(messages)
    _finish_sends()
    return outcomes


def _finish_sends() -> None:
    """A send whose messages are all made and none is waiting is done."""
    for send in EmailSend.objects.filter(state=EmailSend.State.SENDING):
        if send.test_share and send.decided_at is None:
            continue  # the rest still waits for the test's decision
        waiting = send.messages.filter(
            status__in=(EmailMessage.Status.QUEUED, EmailMessage.Status.SOFT_BOUNCE)
        ).exists()
        if not waiting:
            EmailSend.objects.filter(pk=send.pk, state=EmailSend.State.SENDING).update(
                state=EmailSend.State.DONE, finished_at=timezone.now()
            )


@sweep("mailing.outbox")
def sweep_outbox(now: datetime) -> dict[str, int]:
    """Each minute: what waits in the outbox goes out, within the rate."""
    if not EmailMessage.objects.filter(
        Q(status=EmailMessage.Status.QUEUED) | Q(status=EmailMessage.Status.SOFT_BOUNCE),
        next_attempt_at__lte=now,
    ).exists():
        return {}
    return dict(_deliver_batch(now))


# ----------------------------------------------------------------- A/B decisions (AUT-4)


def ab_arms(send: EmailSend) -> list[Arm]:
    """Per variant: delivered messages, and those with a unique click (or open)."""
    success = Q(clicks__gt=0) if send.metric == "click" else Q(first_opened_at__isnull=False)
    rows: dict[int, tuple[int, int]] = {
        row["variant"]: (row["successes"], row["trials"])
        for row in send.messages.filter(status=EmailMessage.Status.SENT)
        .values("variant")
        .annotate(trials=Count("id"), successes=Count("id", filter=success))
    }
    return [Arm(*rows.get(v, (0, 0))) for v in range(len(send.variants) + 1)]


@transaction.atomic
def ab_decide(send: EmailSend, now: datetime) -> EmailSend:
    """Run the test once, at its decision time; the held leads then get the winner (the
    control when no difference is significant or a variant is under the minimum)."""
    send = EmailSend.objects.select_for_update().get(pk=send.pk)
    if send.decided_at is not None:
        return send
    arms = ab_arms(send)
    decision = decide(arms, alpha=float(send.significance), min_sample=send.min_sample)
    send.decision = {
        "outcome": decision.outcome,
        "winner": decision.winner,
        "arms": [
            {"successes": a.successes, "trials": a.trials, "interval": list(a.interval())}
            for a in arms
        ],
        "comparisons": [
            {"variant": c.variant, "test": c.test, "p": c.p_value, "adjusted_p": c.adjusted_p}
            for c in decision.comparisons
        ],
    }
    send.decided_at = now
    send.save(update_fields=["decision", "decided_at"])
    prepare_send.enqueue(send.pk, rest=True)
    return send


@sweep("mailing.ab_decisions")
def decide_due_tests(now: datetime) -> dict[str, int]:
    due = EmailSend.objects.filter(
        test_share__gt=0, decided_at__isnull=True, decide_at__lte=now
    ).exclude(state=EmailSend.State.CANCELLED)
    decided = [ab_decide(send, now) for send in due]
    return {"decided": len(decided)} if decided else {}


# ----------------------------------------------------------------- a rep's own email


@transaction.atomic
def sales_email_send(*, lead: Lead, by, subject: str, text: str) -> EmailMessage:
    """An email a rep writes to their lead: sales follow-up, not marketing, so neither
    consent to marketing nor the cap nor an unsubscribe stops it (LEAD-FUP); not tracked."""
    if not leads_visible_to(by).filter(pk=lead.pk).exists():
        raise Forbidden(gettext("This lead is not yours to write to."))
    errors = {}
    if not lead.email:
        errors["email"] = gettext("the lead has no email")
    if not subject.strip():
        errors["subject"] = gettext("required")
    if not text.strip():
        errors["text"] = gettext("required")
    if errors:
        raise ValidationFailed(gettext("The email was not sent."), fields=errors)
    now = timezone.now()
    body = text.strip()
    message = EmailMessage.objects.create(
        purpose=EmailTemplate.Purpose.SALES,
        lead=lead,
        by=by,
        address=lead.email,
        address_hash=lookup_hash(lead.email.lower()),
        subject=subject.strip()[:250],
        html="<p>" + escape(body).replace("\n", "<br>") + "</p>",
        text=body,
        message_id=new_message_id(),
        token=secrets.token_urlsafe(16),
        next_attempt_at=now,
        created_at=now,
    )
    audit_record(actor=by, action="mailing.sales_email", obj=lead, extra={"subject": subject[:80]})
    deliver_messages.enqueue([message.pk])  # the task row commits with the message
    return message


# ----------------------------------------------------------------- a journey's email


def journey_email(
    *, template: EmailTemplate, lead: Lead, key: str, suppressed: bool | None = None
) -> str:
    """A journey step's email to its lead, under the same rules as a send (consent,
    suppression, the weekly cap across every send and journey): "queued", or why not.
    `key` names the step run; a second call with it queues nothing. `suppressed`: what
    the caller read for many leads at once (None: look it up). The caller wakes the
    outbox (`deliver_due`) once for the emails it queued."""
    if EmailMessage.objects.filter(source=key).exclude(source="").exists():
        return "queued"  # (the exclude names the partial unique index, for SQLite to use it)
    address = (lead.email or "").strip()
    if not address:
        return "no_email"
    now = timezone.now()
    if template.purpose == EmailTemplate.Purpose.MARKETING:
        digest = lookup_hash(address.lower())
        if lead.lawful_basis != "consent":
            return "no_consent"
        if suppressed is None:
            suppressed = Suppression.objects.filter(address_hash=digest).exists()
        if suppressed:
            return "suppressed"
        if _weekly_counts([digest], now)[digest] >= get_settings("mailing.")["mailing.weekly_cap"]:
            return "capped"
    message = _message(template, lead, address, now)
    message.source = key[:80]
    message.save()
    return "queued"
