"""Market research (MKT-3): a plan approved by management, questionnaires answered by a
public link (rate limited, honeypot) or by staff, summaries worked out by hand here, a
campaign's satisfaction from its surveys, and a report to management."""

from decimal import Decimal

import pytest

from leadflow.approvals.models import ApprovalRequest
from leadflow.core.errors import Forbidden, ValidationFailed
from leadflow.marketing.evaluation import campaign_figures
from leadflow.marketing.models import Questionnaire, ResearchPlan, SurveyResponse
from leadflow.marketing.research import (
    QuestionIn,
    questionnaire_create,
    questionnaire_set_state,
    report_submit,
    research_plan_create,
    research_plan_submit,
    summaries,
)
from tests.marketing.conftest import approve_all, running_campaign

pytestmark = pytest.mark.django_db
QUESTIONS = [
    QuestionIn("您从哪里了解到我们？", "single", ["展会", "朋友推荐", "网络"]),
    QuestionIn("您关注哪些功能？", "multiple", ["价格", "交期", "服务"], required=False),
    QuestionIn("本次活动满意度", "scale", [], satisfaction=True),
    QuestionIn("其他建议", "text", [], required=False),
]


def open_questionnaire(team, **changes):
    questionnaire = questionnaire_create(
        title="展会客户调研", questions=QUESTIONS, by=team.planner, **changes
    )
    questionnaire_set_state(questionnaire=questionnaire, state="open", by=team.planner)
    return questionnaire


def ids(questionnaire):
    return [question.field_name for question in questionnaire.questions.all()]


def test_a_research_plan_is_approved_by_management(team):
    # SPEC: MKT-3 — a yearly plan with its own approval
    with pytest.raises(ValidationFailed) as refused:
        research_plan_create(
            values={"year": "2026", "title": "", "methods": ["tea"]}, by=team.planner
        )
    assert set(refused.value.fields) == {"title", "purpose", "methods"}
    with pytest.raises(Forbidden):
        research_plan_create(values={}, by=team.stranger)
    plan = research_plan_create(
        values={
            "year": "2026",
            "title": "华东制造业需求调研",
            "purpose": "了解产线改造需求",
            "methods": ["questionnaire", "interview"],
        },
        by=team.planner,
    )
    approve_all(research_plan_submit(plan=plan, by=team.planner), team.head, team.ceo)
    plan.refresh_from_db()
    assert plan.state == ResearchPlan.State.APPROVED


def test_a_questionnaire_is_checked_question_by_question(team):
    with pytest.raises(ValidationFailed) as refused:
        questionnaire_create(
            title="坏问卷",
            questions=[
                QuestionIn("选一个", "single", ["只有一个"]),
                QuestionIn("满意吗", "text", [], satisfaction=True),
            ],
            by=team.planner,
        )
    assert set(refused.value.fields) == {"questions.1", "questions.2"}
    assert not Questionnaire.objects.exists()


def test_the_public_link_takes_answers_checks_them_and_limits_each_address(team, client):
    # SPEC: MKT-3 — public link with the public form's protections
    draft = questionnaire_create(title="草稿", questions=QUESTIONS, by=team.planner)
    assert client.get(f"/s/{draft.key}").status_code == 404
    questionnaire = open_questionnaire(team)
    where, wants, score, notes = ids(questionnaire)
    page = client.get(f"/s/{questionnaire.key}").content.decode()
    assert "您从哪里了解到我们？" in page
    missing = client.post(f"/s/{questionnaire.key}", {wants: "0"})
    assert missing.status_code == 422
    assert "必填" in missing.content.decode()
    good = {where: "1", wants: ["0", "2"], score: "4", notes: "希望多办", "contact": "13800138000"}
    assert client.post(f"/s/{questionnaire.key}", good).status_code == 200
    [response] = SurveyResponse.objects.all()
    assert response.answers == {
        where[1:]: 1,
        wants[1:]: [0, 2],
        score[1:]: 4,
        notes[1:]: "希望多办",
    }
    assert response.contact == "13800138000"  # kept encrypted (SEC-2)
    bot = client.post(f"/s/{questionnaire.key}", {**good, "website": "http://spam"})
    assert bot.status_code == 200
    assert SurveyResponse.objects.count() == 1  # thanked, not kept
    Questionnaire.objects.filter(pk=questionnaire.pk).update(rate_per_hour=4)
    assert client.post(f"/s/{questionnaire.key}", good).status_code == 200
    assert client.post(f"/s/{questionnaire.key}", good).status_code == 429  # 5th from here
    assert SurveyResponse.objects.count() == 2


def test_summaries_and_a_campaigns_satisfaction_from_its_survey(team, client, client_for):
    # SPEC: MKT-3, MKT-2 — summarised per question; satisfaction from surveys
    campaign = running_campaign(team)
    questionnaire = open_questionnaire(team, campaign=campaign)
    where, wants, score, _ = ids(questionnaire)
    for answers in (
        {where: "0", wants: ["0", "1"], score: "5"},
        {where: "0", wants: ["1"], score: "4"},
        {where: "2", score: "2"},
    ):
        assert client.post(f"/s/{questionnaire.key}", answers).status_code == 200
    first, second, third, fourth = summaries(questionnaire)
    assert [(o["count"], o["percent"]) for o in first["options"]] == [
        (2, "66.7"),  # 2 of 3
        (0, "0.0"),
        (1, "33.3"),
    ]
    assert [o["count"] for o in second["options"]] == [1, 2, 0]  # of the 2 who answered
    assert (third["average"], third["spread"]) == ("3.67", [0, 1, 0, 1, 1])  # 11 / 3
    assert fourth["answers"] == 0
    assert campaign_figures(campaign)["satisfaction"] == Decimal("3.67")
    exported = client_for(team.ceo).get(
        f"/marketing/research/questionnaires/{questionnaire.pk}/?export=csv"
    )
    assert "66.7" in exported.content.decode("utf-8-sig")


def test_staff_fill_it_in_for_a_lead_and_report_to_management(team, capture, client_for):
    # SPEC: MKT-3 — filled in by staff, linked to a lead; a report to management
    questionnaire = open_questionnaire(team)
    lead = capture().lead
    where, _, score, _ = ids(questionnaire)
    planner = client_for(team.planner)
    planner.post(
        f"/marketing/research/questionnaires/{questionnaire.pk}/fill/",
        {where: "1", score: "5", "respondent": "王先生", "lead": lead.number},
    )
    assert SurveyResponse.objects.get().lead == lead
    report = report_submit(
        questionnaire=questionnaire,
        title="调研结论",
        body="## 结论\n\n客户满意。<script>alert(1)</script>",
        by=team.planner,
    )
    assert report.summaries[2]["average"] == "5.00"
    request = ApprovalRequest.objects.get(kind="research_report")
    assert request.current_step["name"] == "管理层审阅"
    page = planner.get(f"/marketing/research/reports/{report.pk}/").content.decode()
    assert "<h2>结论</h2>" in page
    assert "<script>" not in page


def test_the_api_makes_questionnaires_and_takes_staff_answers(team, api_for):
    # SPEC: MKT-3 — questionnaires and answers in the OpenAPI schema
    api = api_for(team.planner)
    created = api.post(
        "/api/v1/questionnaires",
        {
            "title": "电话回访",
            "questions": [{"text": "满意度", "kind": "scale", "satisfaction": True}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    questionnaire = Questionnaire.objects.get(pk=created.json()["id"])
    questionnaire_set_state(questionnaire=questionnaire, state="open", by=team.planner)
    [question] = created.json()["questions"]
    refused = api.post(
        f"/api/v1/questionnaires/{questionnaire.pk}/responses",
        {"answers": {f"q{question['id']}": 9}},
        content_type="application/json",
    )
    assert refused.status_code == 422
    answered = api.post(
        f"/api/v1/questionnaires/{questionnaire.pk}/responses",
        {"answers": {f"q{question['id']}": 4}},
        content_type="application/json",
    )
    assert answered.status_code == 201
    summary = api.get(f"/api/v1/questionnaires/{questionnaire.pk}").json()["summaries"]
    assert summary[0]["average"] == "4.00"
    assert (
        api_for(team.stranger).get(f"/api/v1/questionnaires/{questionnaire.pk}").status_code == 404
    )
