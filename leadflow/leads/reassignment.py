"""Reassignment requests (调整申请, LEAD-ASN-6): the owner asks marketing to give the lead
to someone else, through the approval engine. Its flow (seeded: marketing, any one of
them) decides; the approver may name the rep the lead goes to, or leave it to the rules.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import User
from leadflow.approvals.engine import approval_decide, approval_submit
from leadflow.approvals.kinds import Choice, register_kind
from leadflow.approvals.models import ApprovalRequest
from leadflow.approvals.queries import waiting_tasks
from leadflow.core.audit import audit_record
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed

from .assignment import Assigner, release_lead
from .events import reassign_decided, reassign_requested
from .models import Lead, LeadAssignment, LeadStatus, RepProfile
from .scope import lead_scope

KIND = "lead_reassign"


class LeadReassignment:
    code = KIND
    label = _("Lead reassignment")

    def snapshot(self, subject: Lead, values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "lead": subject.number,
            "name": subject.name,
            "owner": str(subject.owner) if subject.owner else "",
            "grade": subject.grade,
        }

    def amount(self, subject: Lead, values: Mapping[str, Any]) -> Decimal | None:
        return None

    def visible_to(self, subject: Lead, user) -> bool:
        return Lead.objects.filter(lead_scope(user), pk=subject.pk).exists()

    def url(self, subject: Lead) -> str:
        return f"/leads/{subject.pk}/"

    def choices(self, subject: Lead, by) -> list[Choice]:
        reps = (
            User.objects.filter(pk__in=RepProfile.objects.values("user_id"), is_active=True)
            .exclude(pk=subject.owner_id or 0)
            .order_by("username")
        )
        return [Choice("rep", _("Give it to"), [(rep.pk, str(rep)) for rep in reps])]

    def on_approved(self, request: ApprovalRequest, *, by, choices: Mapping[str, Any]) -> dict:
        """The lead goes to the rep the approver chose, or to the next best by the rules;
        never back to the requester."""
        lead = Lead.objects.select_related("owner").get(pk=request.subject_id)
        rep = _chosen_rep(choices, lead)
        note = (
            request.tasks.filter(decided_by=by)
            .order_by("-decided_at")
            .values_list("comment", flat=True)
            .first()
            or ""
        )
        reassign_decided(lead, approved=True, note=note, by=by)
        audit_record(
            actor=by,
            action="lead.reassign_request",
            obj=lead,
            extra={"approved": True, "note": note},
        )
        if lead.owner_id != request.requester_id or lead.status == LeadStatus.MERGED:
            return {"rep": "", "note": gettext("The lead was no longer the requester's.")}
        LeadAssignment.objects.filter(lead=lead, rep_id=request.requester_id).update(
            decline_reason=request.reason[:200]
        )
        assigner = Assigner.load()
        release_lead(assigner, lead, request.requester)
        if rep is not None:
            assigner.give(
                lead,
                rep,
                kind=LeadAssignment.Kind.REQUEST,
                reason=request.reason,
                by=by,
                match={},
                previous=request.requester,
            )
        else:
            assigner.assign(
                lead,
                kind=LeadAssignment.Kind.REQUEST,
                reason=request.reason,
                by=by,
                previous=request.requester,
            )
        lead.refresh_from_db()
        return {"rep": str(lead.owner) if lead.owner else ""}

    def on_closed(self, request: ApprovalRequest, *, by) -> None:
        lead = Lead.objects.get(pk=request.subject_id)
        note = (
            request.tasks.filter(decided_by=by)
            .order_by("-decided_at")
            .values_list("comment", flat=True)
            .first()
            or ""
        )
        reassign_decided(lead, approved=False, note=note, by=by)
        if by.pk != request.requester_id:
            audit_record(
                actor=by,
                action="lead.reassign_request",
                obj=lead,
                extra={"approved": False, "note": note},
            )


def _chosen_rep(choices: Mapping[str, Any], lead: Lead) -> User | None:
    value = choices.get("rep")
    if value in (None, ""):
        return None
    rep = User.objects.filter(
        pk=int(value) if str(value).isdigit() else 0,
        is_active=True,
        pk__in=RepProfile.objects.values("user_id"),
    ).first()
    if rep is None or rep.pk == lead.owner_id:
        raise ValidationFailed(
            gettext("Choose an active sales rep other than the owner."),
            fields={"rep": gettext("%(value)r is not such a rep") % {"value": value}},
        )
    return rep


register_kind(LeadReassignment())


def reassign_requests_waiting(user: User) -> list[ApprovalRequest]:
    """The reassignment requests waiting for this user's decision, oldest first."""
    ids = waiting_tasks(user).filter(request__kind=KIND).values("request_id")
    return list(
        ApprovalRequest.objects.filter(pk__in=ids)
        .select_related("requester")
        .order_by("created_at")
    )


def pending_request(lead: Lead) -> ApprovalRequest | None:
    return ApprovalRequest.objects.filter(
        kind=KIND, subject_id=lead.pk, state=ApprovalRequest.State.PENDING
    ).first()


@transaction.atomic
def reassign_request_create(*, lead: Lead, by: User, reason: str) -> ApprovalRequest:
    """The owner asks marketing to give the lead to someone else (LEAD-ASN-6)."""
    if lead.owner_id != by.pk:
        raise Forbidden(gettext("Only the lead's owner can ask to reassign it."))
    if pending_request(lead) is not None:
        raise Conflict(
            gettext("A request for this lead is already waiting."), fields={"lead": lead.number}
        )
    request = approval_submit(
        kind=KIND,
        subject=lead,
        by=by,
        reason=reason,
        title=gettext("Reassign lead %(number)s %(name)s")
        % {"number": lead.number, "name": lead.name},
    )
    reassign_requested(lead, reason=request.reason, by=by, at=timezone.now())
    return request


def reassign_request_decide(
    *, request: ApprovalRequest, approve: bool, by: User, note: str = "", rep: User | None = None
) -> ApprovalRequest:
    """Marketing approves (the lead goes to `rep`, or to the next best rep by the rules,
    never back to the requester) or rejects (it stays, with the reason)."""
    return approval_decide(
        request=request,
        by=by,
        decision="approve" if approve else "reject",
        comment=note,
        choices={"rep": rep.pk} if rep is not None else {},
    )
