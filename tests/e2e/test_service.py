"""From the outside (#22): a customer files a complaint on the public service form, the
service desk calls back, matches it to the customer and hands it to a rep, who proposes a
solution; the customer accepts, the desk revisits and closes it with its root cause, and
the customer answers the survey by its link. On a phone-width screen, in Chinese."""

import re

from playwright.sync_api import expect

from tests.e2e.people import phone, sign_in

CUSTOMER = "无锡演示精密机械有限公司"  # the demo company's customer


def test_a_complaint_from_the_public_form_to_a_survey_answer(app, browser, shots):
    # SPEC: SVC-1, SVC-2, SVC-4 — public form → contacted → assigned → solved → closed → survey
    visitor_context = phone(browser)
    form = visitor_context.new_page()
    form.goto(f"{app.url}/service/form/")
    form.select_option("select[name=kind]", "complaint")
    form.select_option("select[name=category]", label="交付物流")
    form.fill("input[name=subject]", "端到端：刀柄少发一件")
    form.fill("textarea[name=content]", "订了 10 件刀柄，只收到 9 件")
    form.fill("input[name=contact_name]", "刘工")
    form.fill("input[name=contact_phone]", "138 0013 9911")
    form.get_by_role("button", name="提交").click()
    expect(form.get_by_text("我们已收到您的信息")).to_be_visible()
    number = re.search(r"SV-\d{8}-\d+", form.content()).group(0)
    visitor_context.close()

    desk_context = phone(browser)
    desk = sign_in(desk_context, app, "zhou.kf")
    desk.goto(f"{app.url}/service/tickets/?q={number}")
    desk.get_by_role("link", name=number).click()
    expect(desk.get_by_text("首次联系").first).to_be_visible()  # its first deadline runs
    desk.fill("textarea[name=text]", "已回电刘工，确认少发一件")
    desk.get_by_role("button", name="已联系").click()
    desk.select_option("select[name=customer]", label=CUSTOMER)
    desk.get_by_role("button", name="匹配", exact=True).click()
    expect(desk.get_by_role("link", name=CUSTOMER)).to_be_visible()
    desk.select_option("select[name=department]", label="销售部")
    desk.select_option("select[name=assignee]", label="李明（销售部）")
    desk.get_by_role("button", name="分配").click()
    expect(desk.get_by_text("已分配").first).to_be_visible()
    shots(desk, "assigned")

    rep_context = phone(browser)
    rep = sign_in(rep_context, app, "li.ming")
    rep.goto(f"{app.url}/service/tickets/?when=mine")
    rep.get_by_role("link", name=number).click()
    rep.fill("textarea[name=solution]", "今天补发一件刀柄，顺丰次日达")
    rep.get_by_role("button", name="提交解决方案").click()
    expect(rep.get_by_text("已提出方案").first).to_be_visible()
    width = rep.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, f"the ticket page is {width}px wide on a phone"
    rep_context.close()

    desk.reload()
    desk.get_by_role("button", name="客户接受").click()
    desk.fill("textarea[name=text]", "客户已收到补发的刀柄")
    desk.get_by_role("button", name="已回访").click()
    desk.select_option("select[name=root_cause]", label="操作失误")
    desk.fill("input[name=root_cause_text]", "仓库拣货漏拣")
    desk.fill("textarea[name=corrective_action]", "出库前双人核对数量")
    desk.get_by_role("button", name="关闭工单").click()
    expect(desk.get_by_text("已关闭").first).to_be_visible()
    link = re.search(r"https?://\S+/service/survey/[^<\s]+/", desk.content()).group(0)

    customer_context = phone(browser)
    survey = customer_context.new_page()
    survey.goto(link)
    survey.locator("label", has_text="5").first.click()
    survey.fill("textarea[name=comment]", "补发很快")
    survey.get_by_role("button", name="提交").click()
    expect(survey.get_by_text("感谢您的回复")).to_be_visible()
    survey.goto(link)  # the link works once
    expect(survey.get_by_text("已经回复过了")).to_be_visible()
    customer_context.close()

    desk.reload()
    expect(desk.get_by_text("已回复满意度调查")).to_be_visible()
    shots(desk, "closed")
    desk_context.close()
