"""From the outside (#24): marketing writes an email template, previews it with a real
lead, sends a test to itself, and the tracked link in the email that arrives opens the
page it points to. On a phone-width screen, in Chinese; the email goes over real SMTP."""

import re
import time

from playwright.sync_api import expect

from tests.e2e.people import phone, send_web_form, sign_in

LEAD = "湖州邮件端到端测试有限公司"


def wait_for_mail(app, subject_part: str, seconds: int = 30):
    """The worker sends within seconds; the loopback server keeps what arrives."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for message in app.mailbox.messages:
            if subject_part in str(message["Subject"]):
                return message
        time.sleep(0.3)  # the worker, a real process, takes its turn
    raise AssertionError(f"no email with {subject_part!r} arrived")


def test_a_template_is_previewed_tested_and_its_link_tracked(app, browser, shots):
    # SPEC: AUT-3 — template → preview with a lead → test to oneself → tracked link
    send_web_form(
        browser, app, name=LEAD, mobile="139 1234 5601", need="了解新品", email="buyer@example.cn"
    )
    context = phone(browser)
    page = sign_in(context, app, "zhao.min")
    page.goto(f"{app.url}/mailing/templates/new/")
    page.fill("input[name=name]", "端到端新品邮件")
    page.fill("input[name=subject]", "{{ lead.name }}：新品发布")
    page.fill(
        "textarea[name=html]",
        f'<p>{{{{ lead.contact_name|default:"您" }}}}好</p>'
        f'<a href="{app.url}/service/form/">了解详情</a>',
    )
    page.fill("textarea[name=text]", "新品发布，详情见官网")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存。")).to_be_visible()
    page.select_option("select[name=lead]", label=LEAD)
    page.get_by_role("button", name="以此线索预览").click()
    expect(page.get_by_text(f"{LEAD}：新品发布").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, f"the template page is {width}px wide on a phone"
    shots(page, "preview")
    page.get_by_role("button", name="发送测试邮件给我").click()
    expect(page.get_by_text("测试邮件已发送到")).to_be_visible()

    email = wait_for_mail(app, f"{LEAD}：新品发布")
    assert email["X-Envelope-To"] == "zhao.min@demo.leadflow.cn", email.items()
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", email.items()
    html = email.get_body(("html",)).get_content()
    link = re.search(r'href="([^"]+/t/c/[^"]+)"', html).group(1).replace("&amp;", "&")
    page.goto(link)
    expect(page.get_by_role("heading", name="客户服务")).to_be_visible()  # where it pointed
    shots(page, "clicked")
    context.close()
