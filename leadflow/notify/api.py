from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from leadflow.core.paging import cursor_page
from leadflow.core.permissions import NOTIFY_MANAGE, require
from leadflow.core.schema import RowId

from .inbox import notifications_for, notifications_mark_read, unread_count
from .models import Delivery

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    url: str
    level: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    unread: int
    next_cursor: str | None


@router.get("/notifications", response=NotificationPage, summary="My notifications (the bell)")
def notifications_list(
    request,
    unread_only: bool = False,
    cursor: str | None = None,
    limit: int = Query(30, ge=1, le=200),
):
    entries = notifications_for(request.user)
    if unread_only:
        entries = entries.filter(read_at__isnull=True)
    items, next_cursor = cursor_page(entries, cursor=cursor, limit=limit, key="created_at")
    return {"items": items, "unread": unread_count(request.user), "next_cursor": next_cursor}


class ReadIn(Schema):
    ids: list[RowId] | None = Field(None, description="omit to mark all read")


class ReadOut(Schema):
    marked: int
    unread: int


@router.post("/notifications/read", response=ReadOut, summary="Mark notifications read")
def notifications_read(request, payload: ReadIn):
    marked = notifications_mark_read(user=request.user, ids=payload.ids)
    return {"marked": marked, "unread": unread_count(request.user)}


class DeliveryOut(Schema):
    id: int
    channel: str
    address: str
    robot_id: int | None
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str
    created_at: datetime


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


@router.get("/deliveries", response=DeliveryPage, summary="Delivery log (notify.manage)")
def deliveries_list(
    request,
    status: str = "",
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    require(request.user, NOTIFY_MANAGE)
    entries = Delivery.objects.all()
    if status:
        entries = entries.filter(status=status)
    items, next_cursor = cursor_page(entries, cursor=cursor, limit=limit, key="created_at")
    return {"items": items, "next_cursor": next_cursor}


@router.get("/deliveries/{delivery_id}", response=DeliveryOut, summary="One delivery")
def deliveries_get(request, delivery_id: int):
    require(request.user, NOTIFY_MANAGE)
    return get_object_or_404(Delivery, pk=delivery_id)
