"""The inbox page and API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from yingshang.notifications import facade
from yingshang.notifications.context_processors import unread
from yingshang.notifications.models import InboxItem
from yingshang.notifications.tests.conftest import make_user

pytestmark = pytest.mark.django_db


def notice(user, title: str, **kwargs) -> int:
    [nid] = facade.notify(
        recipients=[user.pk],
        template="platform.notice",
        context={"title": title, "text": f"{title}的正文"},
        **kwargs,
    )
    return InboxItem.objects.get(notification_id=nid).pk


@pytest.fixture
def reader(client, daytime):
    user = make_user("reader")
    client.force_login(user)
    return user


def test_the_inbox_needs_sign_in(client):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302


def test_the_inbox_lists_newest_first_and_marks_unread(client, reader, daytime):
    notice(reader, "第一条")
    daytime.advance(timedelta(minutes=5))
    second = notice(reader, "第二条", urgent=True)
    InboxItem.objects.filter(pk=second).update(read_at=daytime.now())
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert page.index("第二条") < page.index("第一条")
    assert "1 条未读消息" in page
    assert page.count('class="card unread"') == 1
    assert page.count('class="card read"') == 1
    assert "紧急" in page


def test_mark_one_read_without_javascript(client, reader):
    item = notice(reader, "开标提醒")
    response = client.post(reverse("notifications:mark_read", args=[item]))
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:inbox")
    assert InboxItem.objects.get(pk=item).read_at is not None
    assert facade.unread_count(reader.pk) == 0


def test_mark_all_read_without_javascript(client, reader):
    for title in ("一", "二", "三"):
        notice(reader, title)
    response = client.post(reverse("notifications:mark_all_read"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "3 messages marked as read." in response.content.decode()
    assert facade.unread_count(reader.pk) == 0


def test_htmx_gets_the_list_fragment_with_a_focus_target(client, reader):
    item = notice(reader, "开标提醒")
    response = client.post(reverse("notifications:mark_read", args=[item]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert "data-focus-after-swap" in body
    assert "0 条未读消息" in body


def test_nobody_marks_another_users_messages(client, reader):
    other = make_user("other")
    item = notice(other, "别人的消息")
    assert client.post(reverse("notifications:mark_read", args=[item])).status_code == 404
    assert client.post(reverse("notifications:mark_all_read")).status_code == 302
    assert InboxItem.objects.get(pk=item).read_at is None
    assert "别人的消息" not in client.get(reverse("notifications:inbox")).content.decode()


def test_mark_read_needs_post(client, reader):
    item = notice(reader, "x")
    assert client.get(reverse("notifications:mark_read", args=[item])).status_code == 405


def test_the_api_inbox_and_read(client, reader):
    first = notice(reader, "一")
    notice(reader, "二")
    body = client.get("/api/v1/notifications/inbox").json()
    assert body["unread"] == 2
    assert [i["subject"] for i in body["items"]] == ["二", "一"]  # same time: newest id first
    response = client.post(f"/api/v1/notifications/inbox/{first}/read")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert client.get("/api/v1/notifications/inbox?unread_only=true").json()["unread"] == 1
    assert [
        i["subject"] for i in client.get("/api/v1/notifications/inbox?unread_only=true").json()["items"]
    ] == ["二"]
    assert client.post("/api/v1/notifications/inbox/read-all").json() == {"marked": 1}


def test_the_api_refuses_strangers(client, reader):
    item = notice(make_user("other"), "别人的")
    assert client.post(f"/api/v1/notifications/inbox/{item}/read").status_code == 404
    anonymous = Client()
    assert anonymous.get("/api/v1/notifications/inbox").status_code == 401
    bad = client.get("/api/v1/notifications/inbox?limit=0")
    assert bad.status_code == 422


def test_the_unread_count_for_the_header(reader):
    notice(reader, "一")
    notice(reader, "二")
    request = RequestFactory().get("/")
    request.user = reader
    count = unread(request)["unread_notifications"]
    assert count == 2
    assert Template("{% if n > 0 %}({{ n }}){% endif %}").render(Context({"n": count})) == "(2)"
    rendered = Template("{% load notifications %}{% unread_count %}").render(Context({"request": request}))
    assert rendered == "2"
