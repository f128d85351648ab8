"""Notifications API: the caller's in-app inbox."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from yingshang.identity.facade import API_AUTH, principal_for
from yingshang.notifications import selectors, services

router = Router(tags=["notifications"], auth=API_AUTH)


class InboxItemOut(Schema):
    id: int
    notification_id: int
    template: str
    subject: str
    body: str
    urgent: bool
    created_at: datetime
    read_at: datetime | None
    is_read: bool


class InboxOut(Schema):
    unread: int
    items: list[InboxItemOut]


class InboxQuery(Schema):
    unread_only: bool = False
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class MarkedOut(Schema):
    marked: int


@router.get("/inbox", response=InboxOut, summary="My inbox, newest first")
def inbox(request: HttpRequest, query: Query[InboxQuery]) -> InboxOut:
    principal = principal_for(request)
    entries = selectors.inbox(
        principal, unread_only=query.unread_only, limit=query.limit, offset=query.offset
    )
    return InboxOut(
        unread=selectors.unread_count(principal.user_id),
        items=[InboxItemOut.model_validate(e) for e in entries],
    )


@router.post("/inbox/{int:item_id}/read", response=InboxItemOut, summary="Mark one message read")
def mark_read(request: HttpRequest, item_id: int) -> InboxItemOut:
    item = services.mark_read(principal=principal_for(request), item_id=item_id)
    return InboxItemOut.model_validate(selectors.entry(item))


@router.post("/inbox/read-all", response=MarkedOut, summary="Mark every message read")
def mark_all_read(request: HttpRequest) -> MarkedOut:
    return MarkedOut(marked=services.mark_all_read(principal=principal_for(request)))
