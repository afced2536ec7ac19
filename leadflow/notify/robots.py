"""WeCom, DingTalk and Feishu group robots: each platform's message body, signing and
success check, as the platforms publish them."""

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from .models import Platform

# Requests a robot accepts per minute before the platform starts refusing them.
RATE_PER_MINUTE: dict[str, int] = {Platform.WECOM: 20, Platform.DINGTALK: 20, Platform.FEISHU: 100}
TIMEOUT_SECONDS = 5


class RobotError(Exception):
    pass


@dataclass(frozen=True)
class RobotMessage:
    title: str
    body: str
    url: str = ""
    mention_mobiles: tuple[str, ...] = ()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))"""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))"""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def _text(message: RobotMessage) -> str:
    lines = [message.title]
    if message.body:
        lines.append(message.body)
    if message.url:
        lines.append(message.url)
    return "\n".join(lines)


def build_payload(platform: str, message: RobotMessage) -> dict:
    """The JSON body for `platform`, without any signature (that needs the send time)."""
    mobiles = [mobile.removeprefix("+86") for mobile in message.mention_mobiles]
    if platform == Platform.WECOM:
        return {
            "msgtype": "text",
            "text": {"content": _text(message), "mentioned_mobile_list": mobiles},
        }
    if platform == Platform.DINGTALK:
        # DingTalk shows an @mention only when the text itself carries "@mobile".
        mentions = " ".join(f"@{mobile}" for mobile in mobiles)
        link = f"\n\n[{message.url}]({message.url})" if message.url else ""
        return {
            "msgtype": "markdown",
            "markdown": {
                "title": message.title,
                "text": f"#### {message.title}\n\n{message.body}{link}\n\n{mentions}".rstrip(),
            },
            "at": {"atMobiles": mobiles, "isAtAll": False},
        }
    if platform == Platform.FEISHU:
        return {"msg_type": "text", "content": {"text": _text(message)}}
    raise ValueError(f"unknown robot platform {platform!r}")


def signed_request(
    platform: str, webhook_url: str, secret: str, payload: dict, now_ms: int
) -> tuple[str, dict]:
    """The URL and body to post at `now_ms`, signed when the robot has a secret."""
    if not secret:
        return webhook_url, payload
    if platform == Platform.DINGTALK:
        separator = "&" if "?" in webhook_url else "?"
        sign = dingtalk_sign(secret, now_ms)
        return f"{webhook_url}{separator}timestamp={now_ms}&sign={sign}", payload
    if platform == Platform.FEISHU:
        seconds = now_ms // 1000
        return webhook_url, {
            "timestamp": str(seconds),
            "sign": feishu_sign(secret, seconds),
            **payload,
        }
    return webhook_url, payload  # WeCom robots are secured by the key in the URL


def _accepted(platform: str, reply: dict) -> bool:
    if platform == Platform.FEISHU:
        return reply.get("code", reply.get("StatusCode")) == 0
    return reply.get("errcode") == 0


def post(platform: str, webhook_url: str, secret: str, payload: dict, now_ms: int) -> dict:
    """Send one message; RobotError with the platform's own words when it is refused."""
    url, body = signed_request(platform, webhook_url, secret, payload, now_ms)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise RobotError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            text = response.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        raise RobotError(
            f"HTTP {error.code}: {error.read(500).decode('utf-8', 'replace')}"
        ) from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise RobotError(f"cannot reach robot: {error}") from error
    try:
        reply = json.loads(text)
    except json.JSONDecodeError as error:
        raise RobotError(f"not a JSON reply: {text[:200]}") from error
    if not isinstance(reply, dict) or not _accepted(platform, reply):
        raise RobotError(f"refused: {text[:500]}")
    return reply
