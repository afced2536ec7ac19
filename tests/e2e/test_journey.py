"""From the outside (#23): marketing tags a lead that came in by the web form, builds a
small journey in the editor (put in by hand → tag it → tell the owner), starts it, puts the
tagged list in, and watches the worker's minute sweep move the lead through both steps.
On a phone-width screen, in Chinese."""

import re
import time

from playwright.sync_api import expect

from tests.e2e.people import phone, send_web_form, sign_in

LEAD = "嘉兴旅程端到端测试有限公司"


def test_a_journey_built_in_the_editor_moves_a_lead(app, browser, shots):
    # SPEC: AUT-1, AUT-2 — build in the UI, start, enrol a list, the steps run and show
    send_web_form(browser, app, name=LEAD, mobile="139 1234 5702", need="自动化营销")
    context = phone(browser)
    page = sign_in(context, app, "zhao.min")
    page.goto(f"{app.url}/leads/?q={LEAD}")
    page.get_by_role("link", name=LEAD).first.click()
    lead_id = re.search(r"/leads/(\d+)/", page.url).group(1)
    page.get_by_placeholder("新标签").fill("端到端名单")
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_text("已打上标签 端到端名单。")).to_be_visible()

    page.goto(f"{app.url}/journeys/new/")
    page.fill("input[name=name]", "端到端旅程")
    page.select_option("select[name=trigger]", "manual")
    page.fill("input[name=id_0]", "s1")
    page.select_option("select[name=kind_0]", "tag")
    page.fill("input[name=tag_0]", "已进入旅程")
    page.fill("input[name=id_1]", "s2")
    page.select_option("select[name=kind_1]", "notify")
    page.fill("input[name=text_1]", "请尽快联系")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存。")).to_be_visible()
    page.get_by_role("button", name="启动").click()
    page.fill("input[name=enrol_tag]", "端到端名单")
    page.get_by_role("button", name="加入旅程").click()
    expect(page.get_by_text("找到 1 条线索，其中 1 条进入了旅程。")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, f"the journey page is {width}px wide on a phone"
    shots(page, "journey")

    deadline = time.monotonic() + 150  # the worker's minute sweep reads it
    while time.monotonic() < deadline:
        page.goto(f"{app.url}/journeys/leads/{lead_id}/")
        if page.get_by_text("已走完").count():
            break
        time.sleep(3)  # a real worker process, on its minute
    expect(page.locator(".steps li").filter(has_text="s2")).to_be_visible()
    shots(page, "lead-steps")
    page.goto(f"{app.url}/leads/{lead_id}/")
    expect(page.get_by_text("已进入旅程").first).to_be_visible()
    context.close()
