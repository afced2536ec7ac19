"""Email (AUT-3) over a real SMTP server on loopback: templates in a sandbox, merge fields
with defaults, a send only to those whose consent allows marketing, the advertising mark,
Message-ID and RFC 8058 headers, one-click unsubscribe suppressing at once, the weekly
cap across sends, and repeated hard bounces suppressing the address."""

import pytest
from aiosmtpd.controller import Controller

from leadflow.core.errors import ValidationFailed
from leadflow.leads.models import Lead
from leadflow.mailing.models import EmailMessage, EmailSend, Suppression
from leadflow.mailing.sending import preview, send_create, template_save
from tests.conftest import Mailbox, free_port
from tests.mailing.conftest import lead

pytestmark = pytest.mark.django_db


def test_a_template_that_reaches_outside_its_fields_is_refused(marketer):
    # SPEC: AUT-3 — rendered in a sandbox: only the listed merge fields
    with pytest.raises(ValidationFailed) as refused:
        template_save(
            values={
                "name": "越界",
                "purpose": "marketing",
                "subject": "{{ lead.owner.password }}",
                "html": "{% include 'web/base.html' %}",
                "text": "{{ lead.name|safe }}",
            },
            by=marketer,
        )
    assert set(refused.value.fields) == {"subject", "html", "text"}
    assert "不是合并字段" in refused.value.fields["subject"]


def test_merge_fields_and_their_defaults(template):
    # SPEC: AUT-3 — merge fields from the lead and the owner, defaults for empty values
    seen = preview(template, lead("上海某某科技有限公司", "a@example.cn", contact=""))
    assert seen.subject == "上海某某科技有限公司，新品来了"
    assert "您好 客户" in seen.html


def test_a_send_reaches_only_who_may_get_marketing(
    template, marketer, smtp_server, run_tasks, client
):
    # SPEC: AUT-3 — consent, suppression, the mark, Message-ID and List-Unsubscribe
    welcome = lead("甲公司", "jia@example.cn")
    lead("乙公司", "yi@example.cn", basis="contract")  # an import: no marketing consent
    gone = lead("丙公司", "bing@example.cn")
    Suppression.objects.create(
        address_hash=gone.email_hash, reason="unsubscribed", source="by hand", at=gone.created_at
    )
    send = send_create(template=template, name="十二月新品", filters={"channel": ""}, by=marketer)
    run_tasks()
    send.refresh_from_db()
    assert (send.chosen, send.skipped, send.state) == (
        3,
        {"no_consent": 1, "suppressed": 1},
        "done",
    )
    [email] = smtp_server.messages
    assert email["X-Envelope-To"] == "jia@example.cn"
    assert email["Subject"] == "【广告】甲公司，新品来了"
    message = EmailMessage.objects.get(lead=welcome)
    assert email["Message-ID"] == message.message_id
    assert f"/u/{message.token}/" in email["List-Unsubscribe"]
    assert "mailto:" in email["List-Unsubscribe"]
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = email.get_body(("html",)).get_content()
    assert "/t/c/" in html  # the link goes through the click tracker
    assert "https://example.cn/new" not in html
    # One click in the mail program (RFC 8058): suppressed at once, for every later send.
    answer = client.post(
        f"/u/{message.token}/", "List-Unsubscribe=One-Click", content_type="text/plain"
    )
    assert answer.status_code == 200
    assert Suppression.objects.filter(address_hash=welcome.email_hash, source="one-click")
    again = send_create(template=template, name="再发一次", filters={}, by=marketer)
    run_tasks()
    again.refresh_from_db()
    assert again.skipped == {"no_consent": 1, "suppressed": 2}
    assert len(smtp_server.messages) == 1


def test_the_weekly_cap_holds_across_sends(template, marketer, smtp_server, run_tasks):
    # SPEC: AUT-3 — at most 2 marketing emails a week per person, across all sends
    lead("甲公司", "jia@example.cn")
    for name in ("第一封", "第二封", "第三封"):
        send_create(template=template, name=name, filters={}, by=marketer)
        run_tasks()
    assert len(smtp_server.messages) == 2
    assert EmailSend.objects.get(name="第三封").skipped == {"capped": 1}


class Refusing(Mailbox):
    """A server that refuses one mailbox for good (550)."""

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.startswith("gone@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_repeated_hard_bounces_suppress_the_address(template, marketer, settings, run_tasks):
    # SPEC: AUT-3 — a rejection at send time is a hard bounce; two suppress the address
    mailbox = Refusing()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    try:
        bouncing = lead("甲公司", "gone@example.cn")
        lead("乙公司", "here@example.cn")
        send_create(template=template, name="第一封", filters={}, by=marketer)
        run_tasks()
        assert EmailMessage.objects.get(lead=bouncing).status == "bounced"
        assert not Suppression.objects.exists()
        send_create(template=template, name="第二封", filters={}, by=marketer)
        run_tasks()
    finally:
        controller.stop()
    assert Suppression.objects.get().reason == "bounced"
    assert [m["X-Envelope-To"] for m in mailbox.messages] == ["here@example.cn"] * 2
    assert Lead.objects.count() == 2


def test_a_reps_own_email_is_not_marketing(org, make_user, smtp_server, run_tasks, client_for):
    # SPEC: AUT-3 — a sales follow-up written by a rep is not blocked by marketing rules
    rep = make_user(team=org.east, display_name="李明", email="li@example.cn")
    unwilling = lead("甲公司", "jia@example.cn", basis="contract")
    Lead.objects.filter(pk=unwilling.pk).update(owner=rep)
    Suppression.objects.create(
        address_hash=unwilling.email_hash,
        reason="unsubscribed",
        source="link",
        at=unwilling.created_at,
    )
    page = client_for(rep)
    page.post(
        f"/mailing/leads/{unwilling.pk}/email/", {"subject": "报价单", "text": "您好，\n附上报价。"}
    )
    run_tasks()
    [email] = smtp_server.messages
    assert (str(email["Subject"]).strip(), email["Reply-To"]) == ("报价单", "li@example.cn")
    assert email["List-Unsubscribe"] is None
    outsider = client_for(make_user(team=org.north))
    assert (
        outsider.post(
            f"/mailing/leads/{unwilling.pk}/email/", {"subject": "x", "text": "x"}
        ).status_code
        == 404
    )
