"""我的视图: a list's filters, sort and columns saved under a name, per person.

The query string is what is kept, so a saved view is exactly the link the person was on;
paging and one-off actions (cursor, export) are left out."""

from urllib.parse import parse_qsl, urlencode

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from .audit import audit_record
from .errors import Conflict, NotFound, ValidationFailed
from .models import SavedView

NOT_KEPT = {"cursor", "export", "view", "csrfmiddlewaretoken"}
MAX_VIEWS = 30


def kept_query(query: str) -> str:
    """The query string without paging or one-off parameters."""
    pairs = [(key, value) for key, value in parse_qsl(query) if key not in NOT_KEPT and value]
    return urlencode(pairs)


def saved_views_of(user, page: str) -> QuerySet[SavedView]:
    return SavedView.objects.filter(user=user, page=page)


@transaction.atomic
def saved_view_save(*, user, page: str, name: str, query: str) -> SavedView:
    """Keep the list as it is now under `name`; the same name again replaces its query."""
    name = name.strip()
    if not name or len(name) > 40:
        raise ValidationFailed(
            gettext("Give the view a name of at most 40 characters."),
            fields={"name": gettext("1–40 characters")},
        )
    kept = kept_query(query)
    if len(kept) > 1000:
        raise ValidationFailed(
            gettext("Too many filters to keep in one view."),
            fields={"query": gettext("at most 1,000 characters")},
        )
    existing = saved_views_of(user, page).filter(name=name).first()
    if existing is not None:
        existing.query = kept
        existing.save(update_fields=["query"])
        return existing
    if saved_views_of(user, page).count() >= MAX_VIEWS:
        raise Conflict(
            gettext("You keep as many views as you may: delete one first."),
            fields={"name": gettext("at most %(count)d views per list") % {"count": MAX_VIEWS}},
        )
    try:
        with transaction.atomic():
            view = SavedView.objects.create(
                user=user, page=page, name=name, query=kept, created_at=timezone.now()
            )
    except IntegrityError as error:  # the same name saved twice at once
        raise Conflict(
            gettext("A view by this name was just saved."), fields={"name": name}
        ) from error
    audit_record(actor=user, action="view.saved", obj=view, extra={"page": page})
    return view


@transaction.atomic
def saved_view_delete(*, user, view_id: int) -> None:
    view = SavedView.objects.filter(user=user, pk=view_id).first()
    if view is None:
        raise NotFound(gettext("No such view."), fields={"view": str(view_id)})
    audit_record(actor=user, action="view.deleted", obj=view, extra={"page": view.page})
    view.delete()
