"""The marketing pages and API (MKT-2, MKT-6, ANA-5): a plan entered in the UI, its page
with tasks and figures, the calendar, a claim with its receipt, the budget and the
analysis with its export; the same through /api/v1."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from leadflow.marketing.expenses import claim_request, claim_submit
from leadflow.marketing.models import Campaign, ExpenseCategory, ExpenseClaim
from tests.marketing.conftest import PLAN, running_campaign
from tests.marketing.test_expenses import PDF

pytestmark = pytest.mark.django_db


def test_a_plan_is_entered_on_its_page_and_submitted(team, client_for):
    # SPEC: MKT-2 — the plan form; bad dates shown by field; submitted from its page
    planner = client_for(team.planner)
    form = {
        **{name: str(value) for name, value in PLAN.items()},
        f"budget_{ExpenseCategory.objects.get(code='events').pk}": "8000",
    }
    refused = planner.post("/marketing/campaigns/new/", {**form, "ends_on": "2026-02-01"})
    assert refused.status_code == 200
    assert not Campaign.objects.exists()
    planner.post("/marketing/campaigns/new/", form)
    campaign = Campaign.objects.get()
    assert campaign.budget_lines.get().amount == 8000
    page = planner.get(f"/marketing/campaigns/{campaign.pk}/").content.decode()
    assert "2026 春季工业展" in page
    planner.post(f"/marketing/campaigns/{campaign.pk}/submit/")
    campaign.refresh_from_db()
    assert campaign.state == "in_review"
    assert client_for(team.stranger).get(f"/marketing/campaigns/{campaign.pk}/").status_code == 404


def test_the_campaign_page_tasks_notes_and_calendar(team, client_for):
    campaign = running_campaign(team)
    planner = client_for(team.planner)
    planner.post(
        f"/marketing/campaigns/{campaign.pk}/task/",
        {"title": "展位搭建", "assignee": team.head.pk, "due_on": "2026-06-20"},
    )
    planner.post(f"/marketing/campaigns/{campaign.pk}/note/", {"text": "周会：展位已确认"})
    page = planner.get(f"/marketing/campaigns/{campaign.pk}/").content.decode()
    assert "展位搭建" in page
    assert "周会：展位已确认" in page
    march = planner.get("/marketing/calendar/?month=2026-03").content.decode()
    assert "2026 春季工业展" in march
    assert (
        "2026 春季工业展" not in planner.get("/marketing/calendar/?month=2026-05").content.decode()
    )


def test_a_claim_with_its_receipt_from_the_page(team, budget_2026, client_for):
    # SPEC: MKT-6 — claim with receipts; the page shows the budget left when asked
    planner = client_for(team.planner)
    planner.post(
        "/marketing/claims/",
        {
            "spent_on": "2026-06-01",
            "category": ExpenseCategory.objects.get(code="promotion").pk,
            "amount": "320.50",
            "reason": "宣传册印刷",
            "receipts": [SimpleUploadedFile("invoice.pdf", PDF)],
        },
    )
    claim = ExpenseClaim.objects.get()
    assert (claim.amount, claim.attachments.count()) == (320.5, 1)
    page = planner.get(f"/marketing/claims/{claim.pk}/").content.decode()
    assert "invoice.pdf" in page
    assert "10000.00" in page


def test_budget_and_analysis_pages_and_export(team, budget_2026, client_for, admin_user):
    # SPEC: MKT-6, ANA-5 — spend vs budget; each table exportable
    planner = client_for(team.planner)
    assert "10000.00" in planner.get("/marketing/budgets/?year=2026").content.decode()
    analysis = planner.get("/marketing/analysis/?year=2026").content.decode()
    assert "市场推广费" in analysis
    exported = client_for(admin_user).get(
        "/marketing/analysis/?year=2026&table=category&export=csv"
    )
    assert exported.status_code == 200
    assert "市场推广费" in exported.content.decode("utf-8-sig")


def test_the_api_plans_and_claims(team, budget_2026, api_for):
    # SPEC: MKT-2, MKT-6 — campaigns and claims in the OpenAPI schema
    api = api_for(team.planner)
    created = api.post(
        "/api/v1/campaigns",
        {**{k: str(v) for k, v in PLAN.items()}, "budget": {}},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    campaign_id = created.json()["id"]
    refused = api.post(f"/api/v1/campaigns/{campaign_id}/start")
    assert refused.status_code == 409
    assert (
        api.post(
            f"/api/v1/campaigns/{campaign_id}/submit", {}, content_type="application/json"
        ).json()["state"]
        == "in_review"
    )
    claim = api.post(
        "/api/v1/claims",
        {
            "spent_on": str(date(2026, 6, 1)),
            "category_id": ExpenseCategory.objects.get(code="promotion").pk,
            "amount": "88.00",
            "reason": "快递费",
            "receipts": [SimpleUploadedFile("r.pdf", PDF)],
        },
    )
    assert claim.status_code == 201, claim.content
    assert (claim.json()["state"], claim.json()["receipts"]) == ("pending", 1)
    [mine] = api.get("/api/v1/claims?mine=true").json()["items"]
    assert mine["amount"] == "88.00"
    assert api_for(team.stranger).get(f"/api/v1/claims/{mine['id']}").status_code == 404


def test_the_approval_page_names_every_snapshot_value_in_chinese(team, budget_2026, client_for):
    # SPEC: MKT-6 — the approver sees what is left of the budget, in words, not codes
    claim = claim_submit(
        values={
            "category": ExpenseCategory.objects.get(code="promotion"),
            "amount": "300",
            "spent_on": date(2026, 6, 1),
            "reason": "海报",
        },
        by=team.planner,
    )
    page = client_for(team.head).get(f"/approvals/{claim_request(claim).pk}/").content.decode()
    assert "提交时剩余预算（元）" in page
    assert "10000.00" in page
    for code in ("over_budget", "remaining", "spent_on"):
        assert code not in page


def test_participants_are_counted_from_a_sign_in_list(team, client_for):
    # SPEC: MKT-2 — participants entered or imported; only the count is kept
    campaign = running_campaign(team)
    sign_in = SimpleUploadedFile(
        "签到表.csv", "姓名,手机\n王一,13800138000\n李二,\n,\n张三,13900139000\n".encode()
    )
    client_for(team.planner).post(
        f"/marketing/campaigns/{campaign.pk}/participants/", {"file": sign_in}
    )
    campaign.refresh_from_db()
    assert campaign.participants == 3
    wrong = SimpleUploadedFile("list.txt", b"x")
    client_for(team.planner).post(
        f"/marketing/campaigns/{campaign.pk}/participants/", {"file": wrong}
    )
    campaign.refresh_from_db()
    assert campaign.participants == 3
