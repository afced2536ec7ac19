"""Key-account teams and sharing (CUS-6): the owner (or their manager) adds members with
roles and shares a customer with another rep, for viewing or editing, until a date; every
step is kept on the customer's timeline and the shares stay as a record after they end."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from leadflow.accounts.models import User
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed

from .events import customer_event_record
from .models import Customer, Share, TeamMember
from .queries import manages


def _check(customer: Customer, by: User, user: User) -> None:
    if not manages(by, customer):
        raise Forbidden(gettext("Only the customer's owner or their manager does this."))
    if not user.is_active:
        raise ValidationFailed(gettext("Choose an active user."), fields={"user": str(user)})
    if user.pk == customer.owner_id:
        raise ValidationFailed(
            gettext("The owner has the customer already."), fields={"user": str(user)}
        )


@transaction.atomic
def team_member_add(*, customer: Customer, user: User, role: str, by: User) -> TeamMember:
    _check(customer, by, user)
    if not role.strip():
        raise ValidationFailed(gettext("Give the member's role."), fields={"role": "required"})
    try:
        with transaction.atomic():
            member = TeamMember.objects.create(
                customer=customer,
                user=user,
                role=role.strip(),
                added_by=by,
                added_at=timezone.now(),
            )
    except IntegrityError as error:
        raise Conflict(
            gettext("%(user)s is on the team already.") % {"user": user},
            fields={"user": str(user)},
        ) from error
    customer_event_record(customer, "team_added", by, {"user": str(user), "role": member.role})
    return member


@transaction.atomic
def team_member_remove(*, member: TeamMember, by: User) -> None:
    customer = member.customer
    if not manages(by, customer):
        raise Forbidden(gettext("Only the customer's owner or their manager does this."))
    customer_event_record(
        customer, "team_removed", by, {"user": str(member.user), "role": member.role}
    )
    member.delete()


@transaction.atomic
def customer_share(
    *,
    customer: Customer,
    user: User,
    rights: str,
    reason: str,
    until: datetime | None,
    by: User,
) -> Share:
    _check(customer, by, user)
    errors = {}
    if rights not in Share.Rights.values:
        errors["rights"] = f"{rights!r} is not one of {', '.join(Share.Rights.values)}"
    if not reason.strip():
        errors["reason"] = "required: why it is shared"
    if until is not None and until <= timezone.now():
        errors["until"] = f"{until.isoformat()} has passed"
    if errors:
        raise ValidationFailed(gettext("The customer was not shared."), fields=errors)
    share = Share.objects.create(
        customer=customer,
        shared_with=user,
        rights=rights,
        reason=reason.strip(),
        until=until,
        shared_by=by,
        at=timezone.now(),
    )
    customer_event_record(
        customer,
        "shared",
        by,
        {
            "with": str(user),
            "rights": rights,
            "until": until.isoformat() if until else None,
            "reason": share.reason,
        },
    )
    return share


@transaction.atomic
def share_revoke(*, share: Share, by: User) -> Share:
    if not manages(by, share.customer):
        raise Forbidden(gettext("Only the customer's owner or their manager does this."))
    now = timezone.now()
    if (
        Share.objects.filter(pk=share.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=by
        )
        != 1
    ):
        raise Conflict(gettext("This share has ended already."), fields={"share": str(share.pk)})
    share.refresh_from_db()
    customer_event_record(share.customer, "share_revoked", by, {"with": str(share.shared_with)})
    return share
