"""The audit log (SEC-3): service functions call `audit_record` inside their transaction,
so an entry exists exactly when the change it describes was committed."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .context import client_ip
from .inserts import insert_new
from .models import AuditLog

# What an action code means to a person reading the log; areas add their own codes.
ACTION_LABELS: dict[str, object] = {
    "login.succeeded": _("Signed in"),
    "login.failed": _("Sign-in failed"),
    "login.locked": _("Account locked"),
    "login.refused_locked": _("Sign-in refused: locked"),
    "agreement.accept": _("Accepted the confidentiality agreement"),
    "user.create": _("Created a user"),
    "user.update": _("Changed a user"),
    "user.unlock": _("Unlocked a user"),
    "user.reset_password": _("Reset a password"),
    "user.change_password": _("Changed own password"),
    "department.create": _("Created a department"),
    "department.update": _("Changed a department"),
    "department.delete": _("Deleted a department"),
    "team.create": _("Created a team"),
    "team.update": _("Changed a team"),
    "team.delete": _("Deleted a team"),
    "role.create": _("Created a role"),
    "role.update": _("Changed a role"),
    "role.delete": _("Deleted a role"),
    "token.create": _("Created an API token"),
    "token.revoke": _("Revoked an API token"),
    "settings.update": _("Changed settings"),
    "holiday.set": _("Set a company day"),
    "holiday.remove": _("Removed a company day"),
    "robot.create": _("Added a robot"),
    "robot.update": _("Changed a robot"),
    "robot.delete": _("Deleted a robot"),
    "export": _("Exported a table"),
    "view.saved": _("Saved a list view"),
    "view.deleted": _("Deleted a list view"),
}


# What a record type is called ("leads.lead" → 线索); areas add their own.
OBJECT_LABELS: dict[str, object] = {
    "accounts.user": _("User"),
    "accounts.role": _("Role"),
    "accounts.department": _("Department"),
    "accounts.team": _("Team"),
    "core.savedview": _("List view"),
    "core.companyholiday": _("Company day"),
}


def register_object_labels(labels: dict[str, object]) -> None:
    OBJECT_LABELS.update(labels)


def object_reference(entry: AuditLog) -> str:
    """线索 #11 rather than leads.lead#11; empty when the entry names no record."""
    if not entry.object_id:
        return ""
    label = OBJECT_LABELS.get(entry.object_type, entry.object_type)
    return f"{label} #{entry.object_id}"


# How the details of an entry are named ("via api" → 来源 API).
DETAIL_LABELS: dict[str, object] = {
    "via": _("via"),
    "reason": _("reason"),
    "step": _("step"),
    "version": _("version"),
    "amount": _("amount"),
    "year": _("year"),
    "who": _("who"),
    "user": _("user"),
    "until": _("until"),
    "rows": _("rows"),
    "page": _("list"),
    "note": _("note"),
    "measure": _("measure"),
    "lead": _("lead"),
    "failures": _("failures"),
    "approved": _("approved"),
    "subject": _("subject"),
    "source": _("source"),
    "rep": _("rep"),
    "number": _("number"),
    "name": _("name"),
    "month": _("month"),
    "filters": _("filters"),
    "format": _("format"),
    "entered": _("entered"),
    "grade": _("grade"),
    "from": _("from"),
    "ids": _("records"),
}
VALUE_LABELS: dict[str, object] = {
    "api": "API",
    "ui": _("web app"),
    "form": _("web form"),
    "import": _("import"),
    "by hand": _("by hand"),
    "xlsx": "XLSX",
    "csv": "CSV",
}


def register_action_labels(labels: dict[str, object]) -> None:
    """An area names its own action codes (a code ending in "." or "_" names every code
    that starts with it, e.g. "customer.access_")."""
    ACTION_LABELS.update(labels)


def action_label(code: str) -> str:
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    prefixes = [key for key in ACTION_LABELS if key.endswith((".", "_")) and code.startswith(key)]
    prefix = max(prefixes, key=len, default="")  # the most particular name
    return f"{ACTION_LABELS[prefix]} ({code.removeprefix(prefix)})" if prefix else code


def audit_sentence(entry: AuditLog) -> str:
    """One entry as a sentence a person reads: who did what to which record, and what
    changed (SEC-3)."""
    sentence = gettext("%(actor)s: %(action)s %(object)s") % {
        "actor": entry.actor_name,
        "action": action_label(entry.action),
        "object": entry.object_repr or "",
    }
    details = [
        f"{_detail(entry, field)} {_shown(pair[0])} → {_shown(pair[1])}"
        for field, pair in entry.changes.items()
        if isinstance(pair, list | tuple) and len(pair) == 2
    ]
    details += [f"{_detail(entry, key)} {_shown(value)}" for key, value in entry.extra.items()]
    return f"{sentence.strip()}（{'；'.join(details)}）" if details else sentence.strip()


def _detail(entry: AuditLog, key: str) -> str:
    """A detail's name: a known word, else the field's own name on the record's model."""
    if key in DETAIL_LABELS:
        return str(DETAIL_LABELS[key])
    try:
        model = apps.get_model(entry.object_type)
        return str(model._meta.get_field(key).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return key


def _shown(value: Any) -> str:
    if value is True or value is False:
        return str(_("yes") if value else _("no"))
    if isinstance(value, str) and value in VALUE_LABELS:
        return str(VALUE_LABELS[value])
    if value in (None, "", [], {}):
        return "∅"
    if isinstance(value, list | tuple):
        return "、".join(str(item) for item in value)
    return str(value)


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value, as shown in the audit screen."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(instance, name)) for name in fields}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for every field whose value differs."""
    return {
        name: [before.get(name), after.get(name)]
        for name in after
        if before.get(name) != after.get(name)
    }


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    changes: dict[str, list[Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditLog:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditLog(
        at=timezone.now(),
        actor=actor if is_user else None,
        actor_name=(actor.get_username() if is_user else (actor or "system"))[:150],
        ip=client_ip.get(),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr[:200],
        changes=changes or {},
        extra=extra or {},
    )
    return insert_new(entry)  # written on every change: the statement is built once


def audit_entries(
    *,
    actor_id: int | None = None,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    text: str = "",
):
    """Audit entries, newest first, narrowed by any of the filters given."""
    entries = AuditLog.objects.all()
    if actor_id:
        entries = entries.filter(actor_id=actor_id)
    if action:
        entries = entries.filter(action__startswith=action)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if since:
        entries = entries.filter(at__gte=since)
    if until:
        entries = entries.filter(at__lt=until)
    if text:
        entries = entries.filter(
            models.Q(object_repr__icontains=text) | models.Q(actor_name__icontains=text)
        )
    return entries
