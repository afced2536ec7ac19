"""From the outside (#19): an administrator adds a step to the lead-reassignment flow; a
rep asks to hand a lead on; marketing approves the first step and the sales manager the
second, choosing the rep it goes to. All on a phone-width screen, in Chinese."""

from playwright.sync_api import expect

from tests.e2e.people import PHONE, phone, send_web_form, sign_in, wait_in_inbox

LEAD = "苏州审批端到端测试有限公司"


def test_a_reassignment_runs_through_two_approvers_on_a_phone(app, browser, shots):
    # SPEC: LEAD-ASN-6, MKT-2 (flows are data; two steps; the approver picks the rep)
    admin_context = phone(browser)
    admin = sign_in(admin_context, app, "admin")
    admin.goto(f"{app.url}/approvals/flows/")
    admin.get_by_role("link", name="线索调整申请").click()
    add = admin.locator("form", has=admin.get_by_role("button", name="添加步骤"))
    add.locator("[name=name]").fill("销售经理确认")
    add.locator("[name=approver]").select_option("role")
    add.locator("[name=role]").select_option(label="销售经理")
    add.get_by_role("button", name="添加步骤").click()
    expect(admin.get_by_role("heading", name="2. 销售经理确认")).to_be_visible()
    shots(admin, "flow-edited")
    admin_context.close()

    send_web_form(browser, app, name=LEAD, mobile="139 1234 5699", need="自动化产线改造")

    rep_context = phone(browser)
    rep = sign_in(rep_context, app, "li.ming")
    wait_in_inbox(rep, app, LEAD)
    rep.goto(f"{app.url}/leads/?q={LEAD}")
    rep.get_by_role("link", name=LEAD).first.click()
    rep.get_by_placeholder("需要换人的原因").fill("客户总部在北京，由北方组跟进更合适")
    rep.get_by_role("button", name="申请调整").click()
    expect(rep.get_by_text("已提交市场部处理")).to_be_visible()
    shots(rep, "asked")
    rep_context.close()

    marketing_context = phone(browser)
    marketing = sign_in(marketing_context, app, "zhao.min")
    expect(marketing.locator(".nav-count").first).to_have_text("1")
    marketing.goto(f"{app.url}/approvals/")
    marketing.get_by_role("link", name=LEAD).first.click()
    expect(marketing.get_by_text("市场部审批")).to_be_visible()
    shots(marketing, "first-step")
    marketing.fill("textarea[name=comment]", "同意调整")
    marketing.get_by_role("button", name="批准", exact=True).click()
    expect(marketing.get_by_text("已批准。")).to_be_visible()
    marketing_context.close()

    manager_context = phone(browser)
    manager = sign_in(manager_context, app, "wang.manager")
    manager.goto(f"{app.url}/approvals/")
    manager.get_by_role("link", name=LEAD).first.click()
    manager.select_option("select[name=choice_rep]", label="陈静")
    shots(manager, "second-step")
    manager.get_by_role("button", name="批准", exact=True).click()
    expect(manager.get_by_text("已批准").first).to_be_visible()
    expect(manager.get_by_text("已分配给 陈静。")).to_be_visible()
    width = manager.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the request page is {width}px wide on a phone"
    shots(manager, "approved")
    manager_context.close()
