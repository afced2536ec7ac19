"""Periodic grade review (CUS-3): what a customer actually bought may move its grade; the
review proposes, the owner confirms or rejects, and a confirmed proposal changes the
profile through `customer_update`, so the change and the new grade are kept like any
other. The sales area runs the review (it knows the deals) through `grade_propose`.
"""

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from leadflow.accounts.models import User
from leadflow.accounts.scope import scope_filter
from leadflow.core.errors import Conflict
from leadflow.core.storable import check_storable
from leadflow.notify.delivery import Message, notify

from .grading import Thresholds, grade_of
from .models import Customer, GradeProposal
from .profiles import customer_update


def grade_propose(
    *, customer: Customer, changes: dict[str, Any], evidence: dict[str, Any], now: datetime
) -> GradeProposal | None:
    """Propose the profile `changes` when they would change the grade; None when they would
    not, or when a proposal already waits for the owner."""
    merged = {
        "expected_sales": changes.get("expected_annual_sales", customer.expected_annual_sales),
        "purchasing_power": changes.get("purchasing_power", customer.purchasing_power),
        "potential": changes.get("potential", customer.potential),
        "frequency": changes.get("purchase_frequency", customer.purchase_frequency),
    }
    proposed = grade_of(Thresholds.current(), **merged)
    if proposed == customer.grade:
        return None
    try:
        with transaction.atomic():
            proposal = GradeProposal.objects.create(
                customer=customer,
                current_grade=customer.grade,
                proposed_grade=proposed,
                changes={name: str(value) for name, value in changes.items()},
                evidence=evidence,
                created_at=now,
            )
    except IntegrityError:  # one pending proposal per customer
        return None
    if customer.owner_id:
        notify(
            customer.owner,
            Message(
                title=gettext("Grade review: %(name)s %(from)s → %(to)s")
                % {"name": customer.name, "from": customer.grade or "—", "to": proposed},
                body=gettext("Confirm or reject it on the grade review page."),
                url="/customers/grades/",
            ),
        )
    return proposal


def grades_reviewed(customer_ids: list[int], *, now: datetime) -> None:
    """The periodic review (CUS-3) looked at these customers now: the next one is due a
    review period later, whether or not it proposed a change."""
    Customer.objects.filter(pk__in=customer_ids).update(grade_reviewed_at=now)


def proposals_for(user: User) -> QuerySet[GradeProposal]:
    """Pending proposals on the customers the user owns or manages (not those merely
    shared with them)."""
    return GradeProposal.objects.filter(
        state=GradeProposal.State.PENDING, customer__in=Customer.objects.filter(scope_filter(user))
    ).select_related("customer", "customer__owner")


@transaction.atomic
def grade_proposal_decide(
    *, proposal: GradeProposal, accept: bool, by: User, note: str = ""
) -> GradeProposal:
    """The owner (or a manager who sees the customer) confirms or rejects a proposal; the
    caller passes a proposal from `proposals_for(by)`."""
    check_storable(GradeProposal, {"note": note.strip()})  # written with update()
    taken = GradeProposal.objects.filter(pk=proposal.pk, state=GradeProposal.State.PENDING)
    now = timezone.now()
    state = GradeProposal.State.CONFIRMED if accept else GradeProposal.State.REJECTED
    if taken.update(state=state, decided_by=by, decided_at=now, note=note.strip()) != 1:
        raise Conflict(
            gettext("This proposal was decided already."),
            fields={
                "proposal": gettext("%(number)s is %(status)s")
                % {"number": proposal.pk, "status": proposal.get_state_display()}
            },
        )
    proposal.refresh_from_db()
    if accept:
        customer_update(customer=proposal.customer, changes=proposal.changes, by=by)
    return proposal
