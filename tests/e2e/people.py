"""What the browser tests do as people do it: a visitor sends the demo web form, a user
signs in, a rep waits for a lead in the inbox, each on a phone when asked."""

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def phone(browser):
    return browser.new_context(
        locale="zh-CN", viewport=PHONE, extra_http_headers={"Accept-Language": "zh-CN"}
    )


def sign_in(context, app, username: str):
    page = context.new_page()
    page.goto(f"{app.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", app.passwords[username])
    page.click("button[type=submit]")
    if "agreement" in page.url:  # the confidentiality agreement, once per user (SEC)
        for box in page.locator("input[type=checkbox]").all():
            box.check()
        page.click("button.primary")
    expect(page.locator("nav, .sidebar").first).to_be_visible()
    return page


def send_web_form(browser, app, *, name: str, mobile: str, need: str, **more: str) -> None:
    """A visitor fills the demo company's public form (上海, 制造业 unless told)."""
    context = phone(browser)
    form = context.new_page()
    form.goto(f"{app.url}/f/demo")
    form.fill("input[name=name]", name)
    form.fill("input[name=mobile]", mobile)
    for field, value in {"industry": "制造业", "region": "上海", "need": need, **more}.items():
        form.fill(f"[name={field}]", value)
    form.check("input[name=consent]")
    form.click("button[type=submit]")
    expect(form.get_by_text("感谢您的咨询")).to_be_visible()
    context.close()


def wait_in_inbox(page, app, name: str) -> None:
    """The worker assigns the lead within seconds; the inbox shows it once it has."""
    page.goto(f"{app.url}/leads/inbox/")
    for _ in range(30):
        if page.get_by_text(name).count():
            break
        page.wait_for_timeout(500)  # the background worker, a real process, takes its turn
        page.reload()
    expect(page.get_by_text(name).first).to_be_visible()
