"""Email API (AUT-3): templates, sends with their figures, and stopping an address by
hand; the same services as the pages."""

from datetime import datetime
from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext
from ninja import Router, Schema, Status

from leadflow.core.errors import Forbidden
from leadflow.marketing.models import Campaign

from .models import EmailSend, EmailTemplate
from .permissions import MAILING_SEND
from .sending import send_create, template_save
from .stats import message_stats
from .tracking import suppress_by_hand

router = Router(tags=["email"])


class TemplateIn(Schema):
    name: str
    purpose: str = "marketing"
    subject: str
    html: str
    text: str


class TemplateOut(Schema):
    id: int
    name: str
    purpose: str
    subject: str
    html: str
    text: str
    updated_at: datetime


class SendIn(Schema):
    name: str
    template: int
    channel: int | None = None
    grade: str = ""
    stage: str = ""
    region: str = ""
    campaign: int | None = None


class StatsOut(Schema):
    total: int
    sent: int
    bounced: int
    waiting: int
    unique_opens: int
    opens: int
    machine_opens: int
    unique_clicks: int
    clicks: int
    unsubscribes: int
    open_rate: Decimal | None
    click_rate: Decimal | None
    bounce_rate: Decimal | None
    unsubscribe_rate: Decimal | None


class SendOut(Schema):
    id: int
    name: str
    template_id: int
    state: str
    chosen: int
    skipped: dict
    created_at: datetime
    stats: StatsOut

    @staticmethod
    def resolve_stats(send: EmailSend) -> dict:
        return message_stats(send.messages.all())


class SuppressIn(Schema):
    email: str


def _marketer(request) -> None:
    if not request.user.has_permission(MAILING_SEND):
        raise Forbidden(gettext("Only marketing sends email to lists."), code="permission_denied")


@router.get("/email/templates", response=list[TemplateOut], summary="Email templates")
def templates_list(request):
    _marketer(request)
    return list(EmailTemplate.objects.all()[:500])


@router.post("/email/templates", response={201: TemplateOut}, summary="Save a new template")
def templates_create(request, payload: TemplateIn):
    return Status(201, template_save(values=payload.dict(), by=request.user))


@router.get("/email/sends", response=list[SendOut], summary="Sends with their figures")
def sends_list(request):
    _marketer(request)
    return list(EmailSend.objects.all()[:100])


@router.post("/email/sends", response={201: SendOut}, summary="Send a template to a filtered list")
def sends_create(request, payload: SendIn):
    _marketer(request)
    template = EmailTemplate.objects.filter(pk=payload.template).first()
    if template is None:
        raise Http404
    filters = payload.dict(exclude={"name", "template", "campaign"}, exclude_none=True)
    send = send_create(
        template=template,
        name=payload.name,
        filters=filters,
        by=request.user,
        campaign=Campaign.objects.filter(pk=payload.campaign or 0).first(),
    )
    return Status(201, send)


@router.get("/email/sends/{send_id}", response=SendOut, summary="One send")
def sends_get(request, send_id: int):
    _marketer(request)
    send = EmailSend.objects.filter(pk=send_id).first()
    if send is None:
        raise Http404
    return send


@router.post(
    "/email/suppressions", response={201: dict}, summary="Stop marketing email to an address"
)
def suppressions_create(request, payload: SuppressIn):
    _marketer(request)
    suppress_by_hand(address=payload.email, by=request.user)
    return Status(201, {"suppressed": True})
