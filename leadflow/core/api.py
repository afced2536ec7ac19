from datetime import date, datetime
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Body, Field, Query, Router, Schema, Status

from .audit import audit_entries
from .company_settings import REGISTRY, get_settings, settings_update
from .errors import ValidationFailed
from .holidays_admin import holiday_remove, holiday_set
from .models import CompanyHoliday
from .paging import cursor_page
from .permissions import AUDIT_VIEW, SETTINGS_MANAGE, require
from .worktime import WorkCalendar

router = Router(tags=["platform"])


class AuditOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    ip: str | None
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    extra: dict[str, Any]


class AuditPage(Schema):
    items: list[AuditOut]
    next_cursor: str | None


class AuditFilter(Schema):
    actor_id: int | None = None
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: datetime | None = None
    until: datetime | None = None
    q: str = ""
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


@router.get("/audit", response=AuditPage, summary="Read the audit log (audit.view)")
def audit_list(request, filters: Query[AuditFilter]):
    require(request.user, AUDIT_VIEW)
    entries = audit_entries(
        actor_id=filters.actor_id,
        action=filters.action,
        object_type=filters.object_type,
        object_id=filters.object_id,
        since=filters.since,
        until=filters.until,
        text=filters.q,
    )
    items, next_cursor = cursor_page(entries, cursor=filters.cursor, limit=filters.limit, key="at")
    return {"items": items, "next_cursor": next_cursor}


class SettingOut(Schema):
    key: str
    value: Any
    default: Any
    kind: str
    label: str
    group: str


@router.get("/settings", response=list[SettingOut], summary="Company settings (settings.manage)")
def settings_list(request):
    require(request.user, SETTINGS_MANAGE)
    values = get_settings()
    return [
        {
            "key": key,
            "value": values[key],
            "default": d.default,
            "kind": d.kind,
            "label": str(d.label),
            "group": str(d.group),
        }
        for key, d in sorted(REGISTRY.items())
    ]


@router.patch("/settings", response=dict[str, list[Any]], summary="Change settings")
def settings_patch(request, changes: Body[dict[str, Any]]):
    """Body: {"key": value, …}. Every value is checked first; one bad value changes nothing.
    Answers {key: [before, after]} for what changed."""
    require(request.user, SETTINGS_MANAGE)
    return settings_update(changes=changes, by=request.user)


class HolidayIn(Schema):
    date: date
    kind: str = Field(description="day_off | working_day")
    name: str = ""


class HolidayOut(HolidayIn):
    pass


@router.get("/holidays", response=list[HolidayOut], summary="Company holiday table")
def holidays_list(request):
    return list(CompanyHoliday.objects.all())


@router.put("/holidays", response=HolidayOut, summary="Set a company day off or working day")
def holidays_put(request, payload: HolidayIn):
    require(request.user, SETTINGS_MANAGE)
    return holiday_set(by=request.user, day=payload.date, kind=payload.kind, name=payload.name)


@router.delete("/holidays/{day}", response={204: None}, summary="Remove a company override")
def holidays_delete(request, day: date):
    require(request.user, SETTINGS_MANAGE)
    get_object_or_404(CompanyHoliday, date=day)
    holiday_remove(by=request.user, day=day)
    return Status(204, None)


class WorktimeOut(Schema):
    start: datetime
    due: datetime
    working_hours: float


FIRST_CALENDAR_YEAR, LAST_CALENDAR_YEAR = 1970, 2100


@router.get("/worktime/add", response=WorktimeOut, summary="Add working hours to a moment")
def worktime_add(request, start: datetime, hours: float = Query(..., ge=0, le=10000)):
    """The moment `hours` of company working time after `start` (holidays and make-up
    working days included). `start` needs a time zone offset."""
    if start.tzinfo is None:
        raise ValidationFailed(
            "start needs a time zone offset, e.g. 2026-02-13T17:00:00+08:00",
            fields={"start": gettext("no time zone")},
        )
    if not FIRST_CALENDAR_YEAR <= start.year <= LAST_CALENDAR_YEAR:
        # Before 1901 the zone database gives Shanghai its local mean time (+08:05:43), an
        # offset no API client can read; no working calendar is kept that far either way.
        raise ValidationFailed(
            f"start must fall between {FIRST_CALENDAR_YEAR} and {LAST_CALENDAR_YEAR}.",
            fields={"start": gettext("year %(year)s is out of range") % {"year": start.year}},
        )
    due = WorkCalendar.for_company().add_hours(start, hours)
    return {"start": start, "due": due, "working_hours": hours}
