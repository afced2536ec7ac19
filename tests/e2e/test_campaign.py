"""From the outside (#20): a planner plans a campaign, the marketing head reviews it and
management approves it, it starts, a lead is entered for it, an expense with its receipt
is claimed against it, and it is ended and evaluated. On a phone-width screen, in
Chinese, through the demo company."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.people import phone, sign_in

NAME = "端到端测试展会"
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the company's day, as the app's
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def approve_first(page, app, title: str) -> None:
    page.goto(f"{app.url}/approvals/")
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("button", name="批准", exact=True).click()
    expect(page.get_by_text("已批准。")).to_be_visible()


def test_a_campaign_from_plan_to_evaluation(app, browser, shots, tmp_path: Path):
    # SPEC: MKT-2, MKT-6, ANA-5 — plan → approve → start → attribute a lead → claim → evaluate
    planner_context = phone(browser)
    planner = sign_in(planner_context, app, "he.cehua")
    planner.goto(f"{app.url}/marketing/campaigns/new/")
    planner.fill("[name=name]", NAME)
    planner.select_option("[name=form]", label="展会")
    planner.fill("[name=theme]", "智能产线")
    planner.fill("[name=starts_on]", (TODAY - timedelta(days=1)).isoformat())
    planner.fill("[name=ends_on]", (TODAY + timedelta(days=2)).isoformat())
    planner.fill("[name=target_leads]", "20")
    planner.get_by_label("会展费").fill("5000")
    planner.get_by_role("button", name="保存").click()
    expect(planner.get_by_role("heading", name=NAME)).to_be_visible()
    planner.get_by_role("button", name="提交审批").click()
    expect(planner.get_by_text("审核中").first).to_be_visible()
    shots(planner, "submitted")

    for username in ("zhao.min", "qian.zong"):  # 市场部负责人审核, then 管理层审批
        context = phone(browser)
        approve_first(sign_in(context, app, username), app, NAME)
        context.close()

    planner.reload()
    planner.get_by_role("button", name="启动").click()
    expect(planner.get_by_text("进行中").first).to_be_visible()
    shots(planner, "running")

    planner.goto(f"{app.url}/leads/new/")
    planner.fill("[name=name]", "南京端到端展会客户有限公司")
    planner.fill("[name=mobile]", "139 1234 5611")
    planner.select_option("[name=industry]", "制造业")  # picked from the company's list
    planner.fill("[name=need]", "展会上咨询产线改造")
    planner.select_option("[name=channel]", "Z")  # 展会
    planner.select_option("[name=campaign_id]", label=NAME)
    planner.check("[name=consent_given]")
    planner.get_by_role("button", name="保存线索").click()
    expect(planner.get_by_role("heading", name="南京端到端展会客户有限公司")).to_be_visible()

    receipt = tmp_path / "展位发票.pdf"
    receipt.write_bytes(PDF)
    planner.goto(f"{app.url}/marketing/claims/")
    planner.fill("[name=spent_on]", TODAY.isoformat())
    planner.select_option("[name=category]", label="会展费")
    planner.fill("[name=amount]", "1200")
    planner.fill("[name=reason]", "展位搭建")
    planner.select_option("[name=campaign]", label=NAME)
    planner.set_input_files("[name=receipts]", str(receipt))
    planner.get_by_role("button", name="提交审批").click()
    expect(planner.get_by_text("展位发票.pdf")).to_be_visible()
    shots(planner, "claimed")

    planner.goto(f"{app.url}/marketing/campaigns/")
    planner.get_by_role("link", name=NAME).click()
    planner.get_by_role("button", name="结束").click()
    planner.fill("[name=participants]", "35")
    planner.fill("[name=lessons]", "邀约充分，现场转化好")
    planner.get_by_role("button", name="评估").click()
    expect(planner.get_by_text("已评估：活动现为只读。")).to_be_visible()
    results = planner.locator(".card", has_text="实际与目标对比")
    expect(results).to_contain_text("新增线索")
    expect(results.locator("tr", has_text="新增线索")).to_contain_text("1")
    width = planner.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, f"the campaign page is {width}px wide on a phone"
    shots(planner, "evaluated")
    planner_context.close()
