"""Lead settings an administrator edits: channels and non-target rules (rules as data)."""

from django.db import models, transaction

from leadflow.core.audit import audit_record
from leadflow.core.config_cache import forget_config


@transaction.atomic
def config_add(*, by, item: models.Model) -> models.Model:
    """Store a new channel or non-target rule, validated by its form."""
    item.save()
    forget_config()
    audit_record(actor=by, action=f"{item._meta.model_name}.create", obj=item)
    return item


@transaction.atomic
def config_toggle(*, by, item) -> None:
    """Switch a channel, rule or web form on or off (never deleted: leads refer to them)."""
    item.active = not item.active
    item.save(update_fields=["active"])
    forget_config()
    audit_record(
        actor=by,
        action=f"{item._meta.model_name}.toggle",
        obj=item,
        changes={"active": [not item.active, item.active]},
    )
