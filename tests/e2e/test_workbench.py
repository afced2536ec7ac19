"""工作台 in a real browser (#25): each role's workbench and main pages at desktop and at
phone width, no sideways scrolling, each card's number equal to the rows of the list it
opens; a lead a manager gives to a rep in the list's bulk bar shows on the rep's card."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.people import PHONE, sign_in

pytestmark = pytest.mark.e2e
DESKTOP = {"width": 1400, "height": 900}
ROLES = {
    "li.ming": ["/leads/?owner=me", "/leads/followups/?mine=1", "/leads/pool/", "/customers/"],
    "wang.manager": ["/leads/", "/leads/assignment/", "/leads/supervision/"],
    "zhao.min": ["/leads/", "/analytics/"],
    "zhou.kf": ["/service/tickets/"],
}


def context_for(browser, viewport):
    return browser.new_context(
        locale="zh-CN", viewport=viewport, extra_http_headers={"Accept-Language": "zh-CN"}
    )


def rows_listed(page) -> int:
    """Rows of the list's table, leaving out the one that says it is empty."""
    return page.locator("table.data").first.locator("tbody tr:not(:has(td[colspan]))").count()


def cards_of(page) -> dict[str, tuple[str, str]]:
    """{label: (number shown, link)} of the workbench's cards."""
    found = {}
    for card in page.locator("a.tile").all():
        label = card.locator(".label").inner_text().strip()
        found[label] = (card.locator(".value").inner_text().strip(), card.get_attribute("href"))
    return found


def fits(page, viewport) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"] + 1, f"{page.url} is {width}px wide"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_each_roles_workbench_counts_what_its_lists_show(app, browser, shots, viewport):
    for username, pages in ROLES.items():
        context = context_for(browser, viewport)
        page = sign_in(context, app, username)
        page.goto(f"{app.url}/")
        expect(page.locator("section.workbench").first).to_be_visible()
        shots(page, f"{username}-workbench")
        fits(page, viewport)
        for label, (value, link) in cards_of(page).items():
            if not value.isdigit() or viewport is PHONE:
                continue  # a rate (12.3 %) links to the analytics page; counted once
            page.goto(f"{app.url}{link}")
            assert rows_listed(page) == int(value), f"{username}: {label} {value} vs {link}"
        for path in pages:
            page.goto(f"{app.url}{path}")
            shots(page, f"{username}-{path.strip('/').replace('/', '-') or 'home'}")
            fits(page, viewport)
        context.close()


def test_a_lead_given_in_the_bulk_bar_lands_on_the_reps_card(app, browser, shots):
    rep = sign_in(context_for(browser, PHONE), app, "li.ming")
    rep.goto(f"{app.url}/")
    before = int(cards_of(rep)["待接受线索"][0])

    manager = sign_in(context_for(browser, DESKTOP), app, "wang.manager")
    manager.goto(f"{app.url}/leads/?status=accepted&stage=needs")
    first = manager.locator("table.data tbody tr", has_not_text="李明").first  # someone else's
    number = first.locator("td.mono").inner_text().strip()
    first.locator("input[name=ids]").check()
    expect(manager.locator("[data-ticked]")).to_have_text("1")
    manager.select_option("select[name=action]", "assign")
    manager.select_option("select[name=rep]", label="李明")
    manager.fill("input[name=text]", "客户点名要李明跟进")
    manager.get_by_role("button", name="执行").click()
    expect(manager.get_by_text("已处理 1 条线索")).to_be_visible()
    shots(manager, "bulk-assigned")

    rep.goto(f"{app.url}/")
    assert int(cards_of(rep)["待接受线索"][0]) == before + 1
    rep.get_by_text("待接受线索").click()
    expect(rep.get_by_text(number)).to_be_visible()
    shots(rep, "rep-inbox")
    assert re.search(r"/leads/inbox/", rep.url)
