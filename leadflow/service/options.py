"""The lists service picks from, kept by those who manage service: ticket categories and
root causes (SVC-1, SVC-3). Never deleted (tickets refer to them); switched off instead."""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from leadflow.core.audit import audit_record
from leadflow.core.errors import Conflict, Forbidden, ValidationFailed

from .models import RootCause, TicketCategory
from .permissions import SERVICE_MANAGE

KINDS: dict[str, type[TicketCategory] | type[RootCause]] = {
    "category": TicketCategory,
    "root_cause": RootCause,
}


def _manager(by) -> None:
    if not by.has_permission(SERVICE_MANAGE):
        raise Forbidden(gettext("Only those who manage service keep these lists."))


@transaction.atomic
def option_add(*, kind: str, name: str, by) -> TicketCategory | RootCause:
    _manager(by)
    model = KINDS[kind]
    name = " ".join(name.split())
    if not name or len(name) > 40:
        raise ValidationFailed(
            gettext("The entry was not added."), fields={"name": gettext("1 to 40 characters")}
        )
    if model.objects.filter(name=name).exists():
        raise Conflict(
            gettext("The entry was not added."),
            fields={"name": gettext("%(name)s is there already") % {"name": name}},
        )
    last = model.objects.aggregate(last=Max("position"))["last"] or 0
    item = model.objects.create(name=name, position=last + 1)
    audit_record(actor=by, action=f"service.{kind}_added", obj=item)
    return item


@transaction.atomic
def option_toggle(*, kind: str, item_id: int, by) -> TicketCategory | RootCause:
    _manager(by)
    item = KINDS[kind].objects.select_for_update().get(pk=item_id)
    item.active = not item.active
    item.save(update_fields=["active"])
    audit_record(
        actor=by,
        action=f"service.{kind}_toggled",
        obj=item,
        changes={"active": [not item.active, item.active]},
    )
    return item
