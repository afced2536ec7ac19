"""管理驾驶舱 in a real browser (#26): management sees the company's figures, a rep on a
phone their own, each figure a link to its list, the page no wider than the phone."""

import pytest
from playwright.sync_api import expect

from tests.e2e.people import PHONE, sign_in

pytestmark = pytest.mark.e2e
DESKTOP = {"width": 1400, "height": 900}


def open_cockpit(browser, app, username: str, viewport: dict):
    context = browser.new_context(
        locale="zh-CN", viewport=viewport, extra_http_headers={"Accept-Language": "zh-CN"}
    )
    page = sign_in(context, app, username)
    page.goto(f"{app.url}/analytics/cockpit/")
    expect(page.get_by_role("heading", name="管理驾驶舱", exact=True)).to_be_visible()
    return page


def new_customers(page) -> int:
    """The month's new customers, as the tile shows them (the demo's are from today)."""
    return int(page.locator("[data-measure=new_customers] strong").inner_text().strip())


def test_management_and_a_rep_see_their_own_scope(app, browser, shots):
    # SPEC: ANA-6, SEC-1 — one cockpit, each viewer's data scope
    boss = open_cockpit(browser, app, "qian.zong", DESKTOP)
    rep = open_cockpit(browser, app, "li.ming", PHONE)
    shots(boss, "cockpit-management")
    shots(rep, "cockpit-rep-phone")
    assert boss.locator(".stats").get_attribute("data-place") == "企业"  # the whole company
    assert rep.locator(".stats").get_attribute("data-place") == "李明"
    assert new_customers(boss) > new_customers(rep) > 0
    # Every tile links to its list; management may subscribe to it by email, the rep not.
    links = boss.locator(".stats a.stat").evaluate_all("tiles => tiles.map(t => t.href)")
    assert any("/leads/?grade=A" in link for link in links)
    assert any("/sales/receivables/" in link for link in links)
    expect(boss.get_by_text("把这份报表发到我的邮箱")).to_be_visible()
    expect(rep.get_by_text("把这份报表发到我的邮箱")).to_have_count(0)
    width = rep.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the cockpit is {width}px wide on a phone"
    boss.locator(".stats a.stat", has_text="A 级线索").click()
    expect(boss).to_have_url(f"{app.url}/leads/?grade=A")
