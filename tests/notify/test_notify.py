"""notify(): in-app, email over real SMTP, and robot webhooks over real HTTP (LEAD-ASN-4)."""

import base64
import hashlib
import hmac
import urllib.parse
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from leadflow.core.sweeps import run_all_sweeps
from leadflow.notify.delivery import MAX_ATTEMPTS, Message, notify
from leadflow.notify.models import Delivery, Notification, Robot
from leadflow.notify.robots import dingtalk_sign, feishu_sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep(org, make_user):
    return make_user(username="li", team=org.east, mobile="+8613800138000", email="li@example.cn")


def robot(org, server, platform, secret="", path="/hook"):
    return Robot.objects.create(
        team=org.east,
        platform=platform,
        name=platform,
        webhook_url=f"{server.url}{path}",
        secret=secret,
    )


def test_one_call_reaches_bell_email_and_team_robot(
    org, rep, smtp_server, webhook_server, run_tasks
):
    # SPEC: LEAD-ASN-4 — in-app, email, and a WeCom robot where set.
    robot(org, webhook_server, "wecom", path="/cgi-bin/webhook/send?key=k1")
    notify(rep, Message(title="新线索 G20260309001", body="客户：上海某科技", url="/leads/1/"))
    assert Notification.objects.get(recipient=rep).title == "新线索 G20260309001"
    assert not smtp_server.messages  # nothing leaves before a worker runs
    run_tasks()
    [mail] = smtp_server.messages
    assert mail["X-Envelope-To"] == "li@example.cn"
    assert mail["Subject"] == "新线索 G20260309001"
    assert mail.get_content().split() == ["客户：上海某科技", "http://testserver/leads/1/"]
    [post] = webhook_server.requests
    assert post["path"] == "/cgi-bin/webhook/send?key=k1"
    assert post["json"] == {
        "msgtype": "text",
        "text": {
            "content": "新线索 G20260309001\n客户：上海某科技\nhttp://testserver/leads/1/",
            "mentioned_mobile_list": ["13800138000"],
        },
    }
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_dingtalk_signature_matches_the_published_algorithm(org, rep, webhook_server, run_tasks):
    secret = "SEC0123456789abcdef"
    robot(org, webhook_server, "dingtalk", secret=secret, path="/robot/send?access_token=t1")
    notify(rep, Message(title="跟进超时", body="请尽快联系客户"))
    run_tasks()
    [post] = webhook_server.requests
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(post["path"]).query))
    assert query["access_token"] == "t1"
    timestamp = int(query["timestamp"])
    assert abs(timestamp - timezone.now().timestamp() * 1000) < 60_000  # milliseconds
    # DingTalk: sign = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\n{secret}")))
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == expected  # parse_qsl has undone the urlencoding
    assert post["json"]["msgtype"] == "markdown"
    assert post["json"]["at"] == {"atMobiles": ["13800138000"], "isAtAll": False}
    assert "@13800138000" in post["json"]["markdown"]["text"]


def test_feishu_signature_matches_the_published_algorithm(org, rep, webhook_server, run_tasks):
    secret = "feishu-secret"
    robot(org, webhook_server, "feishu", secret=secret, path="/open-apis/bot/v2/hook/x")
    notify(rep, Message(title="线索已分配"))
    run_tasks()
    body = webhook_server.requests[0]["json"]
    timestamp = int(body["timestamp"])
    assert abs(timestamp - timezone.now().timestamp()) < 60  # seconds
    # Feishu: base64(HMAC-SHA256(key=f"{timestamp}\n{secret}", msg=b""))
    key = f"{timestamp}\n{secret}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "text"
    assert body["content"] == {"text": "线索已分配"}


def test_signing_functions_against_fixed_vectors():
    # Regression vectors computed once from the published formulas.
    assert dingtalk_sign("SECabc", 1700000000000) == urllib.parse.quote_plus(
        base64.b64encode(
            hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()
        ).decode()
    )
    assert (
        feishu_sign("abc", 1700000000)
        == base64.b64encode(hmac.new(b"1700000000\nabc", b"", hashlib.sha256).digest()).decode()
    )


def test_rate_limit_holds_extra_messages_for_the_next_minute(
    org, make_user, webhook_server, run_tasks
):
    # WeCom and DingTalk robots accept 20 messages a minute.
    robot(org, webhook_server, "wecom")
    team = [make_user(team=org.east) for _ in range(3)]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for number in range(25):
            notify(team[number % 3], Message(title=f"消息 {number}"))
        run_tasks()
        assert len(webhook_server.requests) == 20
        waiting = Delivery.objects.filter(channel="robot", status="pending")
        assert waiting.count() == 5
        assert all(d.next_attempt_at == start + timedelta(minutes=1) for d in waiting)
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        run_all_sweeps(timezone.now())
        run_tasks()
    assert len(webhook_server.requests) == 25
    assert Delivery.objects.filter(channel="robot", status="sent").count() == 25


def test_failures_are_retried_with_growing_pauses_then_given_up(
    org, rep, webhook_server, run_tasks
):
    robot(org, webhook_server, "dingtalk")
    webhook_server.replies = [(500, {"error": "busy"})] + [
        (200, {"errcode": 130101, "errmsg": "send too fast"})
    ] * 10
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        notify(rep, Message(title="会失败"))
        run_tasks()
    delivery = Delivery.objects.get(channel="robot")
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at == start + timedelta(minutes=1)
    assert "HTTP 500" in delivery.last_error
    moment = start
    for attempt in range(2, MAX_ATTEMPTS + 1):
        moment = moment + timedelta(minutes=2 ** (attempt - 2), seconds=1)
        with time_machine.travel(moment, tick=False):
            run_all_sweeps(timezone.now())
            run_tasks()
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
    assert delivery.status == "failed"
    assert "send too fast" in delivery.last_error
    assert len(webhook_server.requests) == MAX_ATTEMPTS


def test_unreachable_smtp_is_retried_not_lost(org, rep, settings, run_tasks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    notify(rep, Message(title="邮件"))
    run_tasks()
    delivery = Delivery.objects.get(channel="email")
    assert delivery.status == "pending"
    assert delivery.attempts == 1
    assert delivery.last_error


def test_nothing_is_sent_for_a_rolled_back_change(org, rep, smtp_server, run_tasks):
    def failing_change():
        with transaction.atomic():
            notify(rep, Message(title="不该发送"))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        failing_change()
    run_tasks()
    assert not Notification.objects.exists()
    assert not smtp_server.messages


def test_notifying_a_team_posts_once_per_robot_without_mentions(
    org, make_user, webhook_server, run_tasks
):
    robot(org, webhook_server, "wecom")
    for _ in range(3):
        make_user(team=org.east, mobile="+8613900000000")
    notify(org.east, Message(title="团队通知"))
    run_tasks()
    assert Notification.objects.count() == 3
    [post] = webhook_server.requests
    assert post["json"]["text"]["mentioned_mobile_list"] == []


def test_a_stale_claim_from_a_crashed_worker_is_sent_again(org, rep, webhook_server, run_tasks):
    robot(org, webhook_server, "wecom")
    notify(rep, Message(title="崩溃后重发"))
    Delivery.objects.filter(channel="robot").update(status="sending", claimed_at=timezone.now())
    with time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False):
        run_all_sweeps(timezone.now())
        run_tasks()
    assert Delivery.objects.get(channel="robot").status == "sent"


def test_bell_and_mark_read(rep, client_for, api_for):
    notify(rep, Message(title="一"))
    notify(rep, Message(title="二"))
    client = client_for(rep)
    assert (
        client.get("/notifications/bell/").content.decode().strip()
        == '<span class="count">2</span>'
    )
    api = api_for(rep)
    page = api.get("/api/v1/notifications").json()
    assert page["unread"] == 2
    assert [item["title"] for item in page["items"]] == ["二", "一"]
    first = page["items"][1]["id"]
    response = api.post(
        "/api/v1/notifications/read", {"ids": [first]}, content_type="application/json"
    )
    assert response.json() == {"marked": 1, "unread": 1}
    client.post("/notifications/read/")
    assert client.get("/notifications/bell/").content.decode().strip() == ""
