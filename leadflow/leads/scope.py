"""Which leads a user may see (SEC-1): the owners their role's lead scope covers, and the
leads waiting for the work their role does. Whoever assigns by hand (sales managers,
marketing) sees the leads nobody owns yet; whoever verifies (sales support) sees those
waiting for verification. Every read of leads, reports included, and capture's check of
whose lead a duplicate is, go through here."""

from django.db.models import Q

from leadflow.accounts.scope import scope_filter

from .models import LeadStatus
from .permissions import LEADS_ASSIGN, LEADS_VERIFY


def lead_owner_scope(user, *, owner_field: str = "owner") -> Q:
    """The leads (or per-owner tallies of them) whose owner the user may see."""
    seen = scope_filter(user, owner_field=owner_field, scope=_lead_scope_of(user))
    if not seen or not _active(user):  # an empty Q is every lead: nothing to widen
        return seen
    if user.has_permission(LEADS_ASSIGN):
        seen |= Q(**{f"{owner_field}__isnull": True})
    return seen


def lead_scope(user) -> Q:
    seen = lead_owner_scope(user)
    if seen and _active(user) and user.has_permission(LEADS_VERIFY):
        seen |= Q(status=LeadStatus.TO_VERIFY)
    return seen


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _lead_scope_of(user) -> str:
    return user.lead_data_scope if _active(user) else ""
