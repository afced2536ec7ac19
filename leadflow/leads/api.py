from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from leadflow.accounts.models import User
from leadflow.approvals.api import ApprovalOut
from leadflow.core.paging import cursor_page
from leadflow.core.permissions import require
from leadflow.core.personal import personal_data_viewed, personal_list_viewed, shown
from leadflow.core.schema import DictSchema

from .assignment import (
    lead_accept,
    lead_assign_manual,
    lead_decline,
)
from .capture import lead_capture, lead_merge, lead_merge_undo, lead_outside_scope, lead_verify
from .cleaning import Consent
from .followup import followup_record
from .models import Channel, FollowUp, Lead, LeadMerge
from .permissions import LEADS_ASSIGN, LEADS_CREATE, LEADS_MERGE, LEADS_PRIORITY, LEADS_VERIFY
from .pool import claim_limits, lead_claim, pool_lead, pool_leads
from .prediction import lead_win_chance
from .queries import (
    LeadFilters,
    converted_leads,
    due_leads,
    filtered_leads,
    lead_for,
    lead_timeline,
)
from .reassignment import reassign_request_create
from .scoring import (
    Scoring,
    contribution_dicts,
    contributions,
    lead_breakdown,
    lead_event_record,
    lead_priority_set,
    lead_score_values,
)
from .stages import lead_stage_set
from .tags import lead_tag_add, lead_tag_remove

router = Router(tags=["leads"])


class ConsentIn(DictSchema):
    notice_version: str = Field(..., description="the privacy notice version the person agreed to")
    consented_at: datetime | None = Field(None, description="defaults to now")
    channel: str = Field("", description="where they agreed, e.g. 官网表单")


class LeadIn(DictSchema):
    name: str = Field(
        ..., description="customer name: the company, or the person for an individual"
    )
    kind: str = Field("", description="company | individual; guessed from the name when empty")
    contact_name: str = ""
    contact_title: str = ""
    mobile: str = Field("", description="any common form: +86 138-0013-8000, 0086…, 138 0013 8000")
    landline: str = Field("", description="with area code, e.g. 010-12345678")
    email: str = ""
    industry: str
    need: str = Field(..., description="the initial need, e.g. 采购设备")
    region: str = ""
    address: str = ""
    employees: int | None = None
    annual_revenue: str = ""
    budget: str = ""
    purchase_timeline: str = ""
    current_supplier: str = ""
    channel: str = Field(..., description="channel code (G, S, M …) or name")
    channel_detail: str = ""
    campaign_id: int | None = None
    acquired_at: datetime | None = Field(None, description="defaults to now")
    consent: ConsentIn | None = Field(None, description="required: how the person agreed")


class OwnerOut(DictSchema):
    id: int
    name: str


class LeadOut(DictSchema):
    id: int
    number: str
    kind: str
    name: str
    contact_name: str
    contact_title: str
    mobile: str
    landline: str
    email: str
    industry: str
    need: str
    region: str
    address: str
    employees: int | None
    annual_revenue: str
    budget: str
    purchase_timeline: str
    current_supplier: str
    channel: str
    channel_name: str
    channel_detail: str
    campaign_id: int | None
    acquired_at: datetime
    status: str
    non_target_reason: str
    score: int
    grade: str
    priority: str = Field(description="high | medium | low: follows the grade unless set")
    priority_reason: str = Field(description="why a person set the priority, if they did")
    owner: OwnerOut | None
    assigned_at: datetime | None
    accept_by: datetime | None = Field(description="the owner must accept by then")
    accepted_at: datetime | None
    waiting_reason: str = Field(description="why no rep could take it (status to_assign)")
    stage: str = Field(
        description="initial | needs | comparing | negotiating | won | "
        "invalid | paused | lost (accepted leads)"
    )
    stage_reason: str
    next_due_at: datetime | None = Field(description="the next follow-up deadline")
    deal_amount: Decimal | None
    deal_date: date | None
    pool_due_at: datetime | None = Field(
        description="goes back to the public pool then unless followed up (LEAD-FUP-4)"
    )
    pool_warned: bool = Field(description="true while it is 待进入公海: going back soon")
    customer_id: int | None = Field(description="the customer a won lead became or joined")
    deal_id: int | None
    merged_into: str | None = Field(None, description="the surviving lead's number, if merged")
    created_at: datetime


def lead_body(lead: Lead) -> dict[str, Any]:
    """The JSON of a lead, as LeadOut describes it."""
    body = {name: getattr(lead, name) for name in LeadOut.model_fields if hasattr(Lead, name)}
    body.update(
        channel=lead.channel.code,
        channel_name=lead.channel.name,
        owner={"id": lead.owner.pk, "name": str(lead.owner)} if lead.owner else None,
        merged_into=lead.merged_into.number if lead.merged_into_id and lead.merged_into else None,
    )
    return body


class TimelineEntry(DictSchema):
    at: datetime
    kind: str
    actor: str | None
    data: dict[str, Any]


class ScorePart(DictSchema):
    rule: str
    dimension: str = Field(description="fit | behaviour | interaction")
    points: int
    times: int = Field(description="how often the rule counted (1 unless repeatable)")


class ChanceReason(DictSchema):
    feature: str = Field(description="the model's feature, e.g. channel=Z")
    words: str = Field(description="the feature in words, e.g. 渠道=展会")
    points: float = Field(description="points of probability it adds (negative: takes)")


class WinChanceOut(DictSchema):
    probability: float = Field(description="0–1, the chance to be won (LEAD-SCR-5)")
    model_version: int
    reasons: list[ChanceReason] = Field(description="the three features that move it most")


class LeadDetail(LeadOut):
    consent_notice_version: str
    consent_at: datetime | None
    lawful_basis: str
    score_breakdown: list[ScorePart] = Field(description="the rules the score is made of")
    win_chance: WinChanceOut | None = Field(
        None, description="the predictive score, for an open lead once a model is trained"
    )
    tags: list[str] = []
    timeline: list[TimelineEntry]


class CaptureOut(LeadDetail):
    merged: bool = Field(description="true when the capture joined an existing lead")
    capture_number: str = Field(description="the number this capture got (kept as a source)")


class LeadPage(DictSchema):
    items: list[LeadOut]
    next_cursor: str | None


def _detail(lead: Lead, *, just_captured: bool = False) -> dict:
    return {
        **lead_body(lead),
        "consent_notice_version": lead.consent_notice_version,
        "consent_at": lead.consent_at,
        "lawful_basis": lead.lawful_basis,
        "score_breakdown": contribution_dicts(
            # A new capture has no events yet: its values alone make its score.
            contributions(Scoring.current(), lead_score_values(lead), {})
            if just_captured
            else lead_breakdown(lead)
        ),
        "tags": [] if just_captured else list(lead.tags.values_list("name", flat=True)),
        "timeline": lead_timeline(lead, just_captured=just_captured),
        "win_chance": None if just_captured else _chance(lead),
    }


def _chance(lead: Lead) -> dict | None:
    chance = lead_win_chance(lead)
    if chance is None:
        return None
    return {
        "probability": round(chance.probability, 4),
        "model_version": chance.model.pk,
        "reasons": [
            {"feature": r.feature, "words": r.words, "points": round(r.points, 4)}
            for r in chance.reasons
        ],
    }


@router.post("/leads", response={201: CaptureOut, 200: CaptureOut}, summary="Capture a lead")
def leads_create(request, payload: LeadIn):
    """Creates the lead (201), or merges it into the existing lead with the same mobile,
    email or company name and answers that lead (200, `"merged": true`). When that lead is
    outside the caller's scope, the capture is kept as its source without changing it and
    the answer is 409 with nothing of the lead. Consent is required. Every refused field
    is named in `error.fields`; nothing is saved then."""
    require(request.user, LEADS_CREATE)
    values = payload.model_dump(exclude={"consent"})
    consent_in = payload.consent
    consent = (
        Consent(
            notice_version=consent_in.notice_version,
            consented_at=consent_in.consented_at,
            channel=consent_in.channel,
        )
        if consent_in
        else Consent()
    )
    result = lead_capture(values=values, consent=consent, via="api", by=request.user)
    if result.outside_scope:
        raise lead_outside_scope(result)
    if result.merged:
        lead = Lead.objects.select_related("channel", "owner", "merged_into").get(pk=result.lead.pk)
    else:
        lead = result.lead  # as stored a moment ago: no need to read it back
    body = {
        **_detail(lead, just_captured=not result.merged),
        "merged": result.merged,
        "capture_number": result.capture.number,
    }
    return Status(200 if result.merged else 201, body)


@router.get("/leads", response=LeadPage, summary="Leads I may see")
def leads_list(
    request,
    q: str = Query("", description="lead number, phone, email or part of a name"),
    status: str = Query("", description="a lead status, or pool_soon for 待进入公海"),
    channel: str = "",
    owner_id: int | None = None,
    kind: str = "",
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    leads = filtered_leads(
        request.user, LeadFilters(q=q, status=status, channel=channel, owner_id=owner_id, kind=kind)
    )
    items, next_cursor = cursor_page(leads, cursor=cursor, limit=limit, key="id")
    personal_list_viewed(user=request.user, object_type="leads.lead", shown_whole=len(items))
    return {"items": [lead_body(lead) for lead in items], "next_cursor": next_cursor}


def _visible(request, lead_id: int) -> Lead:
    lead = lead_for(request.user, lead_id)
    if lead is None:
        raise Http404
    return lead


@router.get("/leads/{lead_id}", response=LeadDetail, summary="One lead with its timeline")
def leads_get(request, lead_id: int):
    lead = _visible(request, lead_id)
    personal_data_viewed(user=request.user, obj=lead)
    return _detail(lead)


class EventIn(Schema):
    kind: str = Field(
        ...,
        description="downloaded_material | webinar_question | email_opened | "
        "consulted_sales | visited_pricing",
    )
    data: dict[str, Any] = Field(default_factory=dict, description="anything worth keeping")


@router.post("/leads/{lead_id}/events", response=LeadDetail, summary="Record what the person did")
def leads_event(request, lead_id: int, payload: EventIn):
    """Records the event on the lead's timeline and re-scores the lead at once; the answer
    shows the new score, grade and breakdown (LEAD-SCR-4)."""
    require(request.user, LEADS_CREATE)
    lead = lead_event_record(
        lead=_visible(request, lead_id), kind=payload.kind, by=request.user, data=payload.data
    )
    return _detail(lead)


class TagIn(Schema):
    tag: str = Field(..., description="1 to 30 characters, without commas")


@router.post("/leads/{lead_id}/tags", response=LeadDetail, summary="Put a tag on the lead")
def leads_tag_add(request, lead_id: int, payload: TagIn):
    lead = _visible(request, lead_id)
    lead_tag_add(lead=lead, tag=payload.tag, by=request.user)
    return _detail(lead)


@router.delete("/leads/{lead_id}/tags/{tag}", response=LeadDetail, summary="Take a tag off")
def leads_tag_remove(request, lead_id: int, tag: str):
    lead = _visible(request, lead_id)
    lead_tag_remove(lead=lead, tag=tag, by=request.user)
    return _detail(lead)


class PriorityIn(Schema):
    priority: str = Field(..., description="high | medium | low, or empty to follow the grade")
    reason: str = Field("", description="required when setting a priority")


@router.post("/leads/{lead_id}/priority", response=LeadDetail, summary="Set the priority")
def leads_priority(request, lead_id: int, payload: PriorityIn):
    require(request.user, LEADS_PRIORITY)
    lead = lead_priority_set(
        lead=_visible(request, lead_id),
        priority=payload.priority,
        reason=payload.reason,
        by=request.user,
    )
    return _detail(lead)


class ReasonIn(Schema):
    reason: str = Field(..., description="required")


class AssignIn(Schema):
    rep_id: int
    reason: str = Field(..., description="required, e.g. 客户指定对接销售代表李")


@router.post("/leads/{lead_id}/accept", response=LeadDetail, summary="Accept a lead given to me")
def leads_accept(request, lead_id: int):
    return _detail(lead_accept(lead=_visible(request, lead_id), by=request.user))


@router.post("/leads/{lead_id}/decline", response=LeadDetail, summary="Decline a lead given to me")
def leads_decline(request, lead_id: int, payload: ReasonIn):
    """Within the decline window (2 h by default) and with a reason; the lead goes to the
    next best rep at once."""
    lead = lead_decline(lead=_visible(request, lead_id), by=request.user, reason=payload.reason)
    return _detail(lead)


@router.post("/leads/{lead_id}/assign", response=LeadDetail, summary="Assign by hand")
def leads_assign(request, lead_id: int, payload: AssignIn):
    require(request.user, LEADS_ASSIGN)
    rep = get_object_or_404(User, pk=payload.rep_id)
    lead = lead_assign_manual(
        lead=_visible(request, lead_id), rep=rep, reason=payload.reason, by=request.user
    )
    return _detail(lead)


@router.post(
    "/leads/{lead_id}/reassign-requests",
    response={201: ApprovalOut},
    summary="Ask marketing to give my lead to someone else (an approval request)",
)
def leads_reassign_request(request, lead_id: int, payload: ReasonIn):
    created = reassign_request_create(
        lead=_visible(request, lead_id), by=request.user, reason=payload.reason
    )
    return Status(201, created)


class FollowUpIn(Schema):
    contact_at: datetime = Field(..., description="when the contact happened")
    method: str = Field(..., description="phone | email | visit | wechat | meeting")
    feedback: str = Field(..., description="what the customer said")
    intent: str = Field("same", description="up | same | down")
    next_step: str = ""
    next_at: datetime | None = Field(None, description="defaults to the priority's cadence")


class FollowUpOut(Schema):
    id: int
    contact_at: datetime
    method: str
    feedback: str
    intent: str
    next_step: str
    next_at: datetime | None
    written_at: datetime
    late: bool = Field(description="written more than the allowed time after the contact")
    by: str

    @staticmethod
    def resolve_by(record: FollowUp) -> str:
        return str(record.by)


@router.post(
    "/leads/{lead_id}/follow-ups", response={201: FollowUpOut}, summary="Record a follow-up"
)
def leads_followup_create(request, lead_id: int, payload: FollowUpIn):
    """Sets the lead's next deadline (`next_due_at`); see LEAD-FUP-2."""
    record = followup_record(lead=_visible(request, lead_id), by=request.user, **payload.dict())
    return Status(201, record)


@router.get(
    "/leads/{lead_id}/follow-ups", response=list[FollowUpOut], summary="A lead's follow-ups"
)
def leads_followup_list(request, lead_id: int):
    return _visible(request, lead_id).followups.select_related("by")


@router.get("/follow-ups/due", response=list[LeadOut], summary="My follow-ups by deadline")
def followups_due(
    request, when: str = Query("overdue", description="overdue | today | week | due (by tonight)")
):
    """The accepted leads I may see whose next deadline falls in the window, soonest first."""
    return [lead_body(lead) for lead in due_leads(request.user, when)[:500]]


class StageIn(Schema):
    stage: str = Field(
        ..., description="initial | needs | comparing | negotiating | won | invalid | paused | lost"
    )
    fact: str = Field(..., description="what happened that justifies the move")
    reason: str = Field("", description="无效: gave_up | need_mismatch | unreachable; 流失: why")
    deal_amount: Decimal | None = Field(None, description="成交: the amount")
    deal_date: date | None = Field(None, description="成交: the date")
    credit_code: str = Field(
        "", description="成交, optional: the customer's 统一社会信用代码, to find or record it"
    )


@router.post("/leads/{lead_id}/stage", response=LeadDetail, summary="Move the lead's stage")
def leads_stage(request, lead_id: int, payload: StageIn):
    """Refused with the rule it breaks (LEAD-STS-1, -2); the kanban board calls this too."""
    lead = lead_stage_set(lead=_visible(request, lead_id), by=request.user, **payload.dict())
    return _detail(lead)


class PoolLeadOut(Schema):
    """A lead in the public pool: what a rep needs to decide to claim it; the contact's
    phone and email only once it is theirs."""

    id: int
    number: str
    kind: str
    name: str
    contact_name: str
    industry: str
    need: str
    region: str
    employees: int | None
    budget: str
    purchase_timeline: str
    channel: str
    score: int
    grade: str
    stage: str
    updated_at: datetime = Field(description="when it last changed: for a pool lead, its return")


class ClaimLimits(Schema):
    open_leads: int
    open_limit: int
    claimed_today: int
    daily_limit: int


class PoolPage(Schema):
    items: list[PoolLeadOut]
    next_cursor: str | None
    limits: ClaimLimits = Field(description="what I may still claim")


@router.get("/pool", response=PoolPage, summary="The public pool (公海)")
def pool_list(
    request,
    q: str = Query("", description="lead number or part of the name"),
    region: str = Query("", description="province or province/city prefix"),
    grade: str = "",
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    leads = pool_leads(request.user, q=q, region=region, grade=grade)
    items, next_cursor = cursor_page(leads, cursor=cursor, limit=limit, key="id")
    rows = [
        {
            **{name: getattr(lead, name) for name in PoolLeadOut.model_fields},
            "channel": lead.channel.code,
        }
        for lead in items
    ]
    return {"items": rows, "next_cursor": next_cursor, "limits": claim_limits(request.user)}


@router.post("/leads/{lead_id}/claim", response=LeadDetail, summary="Claim a lead from the pool")
def leads_claim(request, lead_id: int):
    """Refused with the limit it would break: open leads, claims today, or the wait for a
    rep whose lead went back to the pool (LEAD-FUP-4)."""
    lead = pool_lead(request.user, lead_id)
    if lead is None:
        raise Http404
    return _detail(lead_claim(lead=lead, by=request.user))


class LeadHistory(Schema):
    lead: LeadOut
    timeline: list[TimelineEntry]


@router.get(
    "/customers/{customer_id}/lead-history",
    response=list[LeadHistory],
    summary="The leads a customer came from, with their timelines",
)
def customer_lead_history(request, customer_id: int):
    """Every lead converted into the customer, each with its whole timeline (LEAD-CNV-1),
    to anyone who may see the customer."""
    found = converted_leads(request.user, customer_id)
    if found is None:
        raise Http404
    leads, whole = found
    return [
        {
            "lead": shown(lead_body(lead), whole=whole),
            "timeline": [shown(entry, whole=whole) for entry in lead_timeline(lead)],
        }
        for lead in leads
    ]


@router.post("/leads/{lead_id}/verify", response=LeadDetail, summary="Verify a new lead (核对)")
def leads_verify(request, lead_id: int):
    require(request.user, LEADS_VERIFY)
    return _detail(lead_verify(lead=_visible(request, lead_id), by=request.user))


class MergeIn(Schema):
    into: int = Field(..., description="the id of the lead that survives")


class MergeOut(Schema):
    id: int
    survivor: str
    merged: str
    reason: str
    at: datetime
    undone_at: datetime | None

    @staticmethod
    def resolve_survivor(merge: LeadMerge) -> str:
        return merge.survivor.number

    @staticmethod
    def resolve_merged(merge: LeadMerge) -> str:
        return merge.merged.number


@router.post(
    "/leads/{lead_id}/merge", response=MergeOut, summary="Merge a duplicate into another lead"
)
def leads_merge(request, lead_id: int, payload: MergeIn):
    require(request.user, LEADS_MERGE)
    merged, survivor = _visible(request, lead_id), _visible(request, payload.into)
    return lead_merge(survivor=survivor, merged=merged, reason="manual", by=request.user)


@router.get(
    "/leads/{lead_id}/merges", response=list[MergeOut], summary="Merges into and out of a lead"
)
def leads_merges(request, lead_id: int):
    lead = _visible(request, lead_id)
    merges = LeadMerge.objects.filter(Q(survivor=lead) | Q(merged=lead))
    return merges.select_related("survivor", "merged")


@router.post("/lead-merges/{merge_id}/undo", response=LeadDetail, summary="Undo a merge")
def lead_merges_undo(request, merge_id: int):
    require(request.user, LEADS_MERGE)
    merge = get_object_or_404(LeadMerge, pk=merge_id)
    _visible(request, merge.survivor_id)
    restored = lead_merge_undo(merge=merge, by=request.user)
    return _detail(Lead.objects.select_related("channel", "owner").get(pk=restored.pk))


class ChannelOut(Schema):
    code: str
    name: str
    kind: str
    requires_verification: bool


@router.get("/channels", response=list[ChannelOut], summary="Lead channels")
def channels_list(request):
    return Channel.objects.filter(active=True)
