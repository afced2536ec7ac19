"""From the outside (#21): a won deal becomes a contract, legal and management approve
it, it is signed with its payment plan, finance records the receipt, and the rep's
sales-target completion moves. On a phone-width screen, in Chinese, through the demo."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.people import phone, send_web_form, sign_in, wait_in_inbox

LEAD = "嘉兴合同端到端测试有限公司"
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the company's day, as the app's
CONTACTED_AT = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(minutes=1)).strftime(
    "%Y-%m-%dT%H:%M"
)


def completion(page, app) -> float:
    page.goto(f"{app.url}/sales/targets/")
    row = page.locator("tr", has_text="李明").first
    return float(re.search(r"([\d.]+)%", row.inner_text()).group(1))


def test_a_deal_becomes_a_paid_contract(app, browser, shots):
    # SPEC: MKT-5, MKT-4 — deal → contract → legal approval → signed → plan → receipt → target
    send_web_form(browser, app, name=LEAD, mobile="139 1234 5688", need="采购检测设备")

    rep_context = phone(browser)
    rep = sign_in(rep_context, app, "li.ming")
    before = completion(rep, app)
    wait_in_inbox(rep, app, LEAD)
    rep.locator("tr", has_text=LEAD).get_by_role("button", name="接受").click()
    rep.goto(f"{app.url}/leads/?q={LEAD}")
    rep.get_by_role("link", name=LEAD).first.click()
    rep.fill("input[name=contact_at]", CONTACTED_AT)
    rep.select_option("select[name=method]", "phone")
    rep.fill("textarea[name=feedback]", "确认采购")
    rep.get_by_role("button", name="保存跟进").click()
    rep.select_option("select[name=stage]", "won")
    rep.fill("[name=fact]", "口头确认")
    rep.fill("[name=deal_amount]", "200000")
    rep.fill("[name=deal_date]", TODAY.isoformat())
    rep.get_by_role("button", name="变更阶段").click()
    rep.get_by_role("link", name=LEAD).first.click()  # the customer it became
    rep.get_by_role("link", name="起草合同").click()
    rep.fill("[name=service]", "检测设备 1 套及安装")
    rep.get_by_role("button", name="保存").click()
    expect(rep.get_by_text("已起草")).to_be_visible()
    rep.fill("[name=due_0]", TODAY.isoformat())
    rep.fill("[name=amount_0]", "200000")
    rep.get_by_role("button", name="保存回款计划").click()
    rep.get_by_role("button", name="提交法务审核").click()
    expect(rep.get_by_text("法务审核中").first).to_be_visible()
    shots(rep, "submitted")
    number = rep.locator("p.mono").first.inner_text()

    for username in ("zheng.fw", "qian.zong"):
        context = phone(browser)
        page = sign_in(context, app, username)
        page.goto(f"{app.url}/approvals/")
        page.get_by_role("link", name=number).first.click()
        page.get_by_role("button", name="批准", exact=True).click()
        expect(page.get_by_text("已批准。")).to_be_visible()
        context.close()

    rep.reload()
    rep.get_by_role("button", name="登记签署").click()
    rep.get_by_role("button", name="开始履行").click()
    expect(rep.get_by_text("履行中").first).to_be_visible()

    finance_context = phone(browser)
    finance = sign_in(finance_context, app, "wu.kj")
    finance.goto(f"{app.url}/sales/contracts/?q={number}")
    finance.get_by_role("link", name=number).click()
    finance.fill("[name=amount]", "200000")
    finance.get_by_role("button", name="登记回款").click()
    expect(finance.get_by_text("回款已登记。")).to_be_visible()
    width = finance.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, f"the contract page is {width}px wide on a phone"
    shots(finance, "paid")
    finance_context.close()

    assert completion(rep, app) > before  # the signed contract counts toward the target
    shots(rep, "targets")
    rep_context.close()
