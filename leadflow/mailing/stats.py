"""What a send or a template achieved (AUT-3, ANA-5): sent, delivered, bounced, opens and
unique opens, clicks and unique clicks, unsubscribes, and the rates over delivered
messages. Machine opens and scanner clicks are left out of the rates (counted apart)."""

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from .models import EmailEvent, EmailMessage


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


def message_stats(messages: QuerySet[EmailMessage]) -> dict[str, Any]:
    counted = messages.aggregate(
        total=Count("id"),
        sent=Count("id", filter=Q(status=EmailMessage.Status.SENT)),
        bounced=Count("id", filter=Q(status=EmailMessage.Status.BOUNCED)),
        waiting=Count(
            "id",
            filter=Q(status__in=(EmailMessage.Status.QUEUED, EmailMessage.Status.SOFT_BOUNCE)),
        ),
        unique_opens=Count("id", filter=Q(first_opened_at__isnull=False)),
        opens=Sum("opens"),
        machine_opens=Sum("machine_opens"),
        unique_clicks=Count("id", filter=Q(clicks__gt=0)),
        clicks=Sum("clicks"),
    )
    unsubscribes = (
        EmailEvent.objects.filter(message__in=messages, kind=EmailEvent.Kind.UNSUBSCRIBED)
        .values("message")
        .distinct()
        .count()
    )
    delivered = counted["sent"]
    return {
        **{key: value or 0 for key, value in counted.items()},
        "delivered": delivered,
        "unsubscribes": unsubscribes,
        "open_rate": _rate(counted["unique_opens"], delivered),
        "click_rate": _rate(counted["unique_clicks"], delivered),
        "bounce_rate": _rate(counted["bounced"], counted["sent"] + counted["bounced"]),
        "unsubscribe_rate": _rate(unsubscribes, delivered),
    }
