"""Scoring and grading (LEAD-SCR-1…4): rules as data, every change explained."""

import pytest

from leadflow.core.company_settings import settings_update
from leadflow.core.errors import ValidationFailed
from leadflow.core.models import AuditLog
from leadflow.leads.models import LeadEvent, ScoreRule
from leadflow.leads.scoring import (
    Scoring,
    contributions,
    lead_event_record,
    lead_priority_set,
    score_rule_preview,
    score_rule_save,
    score_values,
)

pytestmark = pytest.mark.django_db


def test_the_guide_defaults_are_seeded():
    # SPEC: LEAD-SCR-1
    seeded = {rule.name: (rule.dimension, rule.points) for rule in ScoreRule.objects.all()}
    assert seeded == {
        "下载核心资料": ("behaviour", 10),
        "研讨会提问": ("interaction", 15),
        "目标行业": ("fit", 20),
        "企业规模 500 人以上": ("fit", 10),
        "打开营销邮件 3 次以上": ("interaction", 5),
        "咨询销售代表": ("interaction", 20),
    }


def test_fields_and_events_give_points_and_a_grade():
    # SPEC: LEAD-SCR-1, LEAD-SCR-3 — A ≥ 30, B 15–29, C < 15; priority follows the grade.
    scoring = Scoring.load()
    fit = {"industry": "制造业", "employees": 800}
    assert score_values(scoring, fit) == (30, "A", "high")
    assert score_values(scoring, {"industry": "制造业", "employees": 499}) == (20, "B", "medium")
    assert score_values(scoring, {"industry": "零售"}) == (0, "C", "low")
    assert score_values(scoring, {"industry": "零售"}, {"consulted_sales": 1}) == (
        20,
        "B",
        "medium",
    )


def test_a_rule_that_is_not_repeatable_counts_once_and_thresholds_count_events():
    # SPEC: LEAD-SCR-1 — "opened marketing email 3+ times"; downloads count once per lead.
    scoring = Scoring.load()
    assert score_values(scoring, {}, {"downloaded_material": 4})[0] == 10
    assert score_values(scoring, {}, {"email_opened": 2})[0] == 0
    assert score_values(scoring, {}, {"email_opened": 3})[0] == 5
    ScoreRule.objects.filter(event="downloaded_material").update(repeatable=True)
    assert score_values(Scoring.load(), {}, {"downloaded_material": 4})[0] == 40


def test_thresholds_are_settings(admin_user):
    # SPEC: LEAD-SCR-3
    settings_update(changes={"scoring.grade_a_min": 40, "scoring.grade_b_min": 20}, by=admin_user)
    assert score_values(Scoring.load(), {"industry": "制造业", "employees": 800})[1] == "B"
    with pytest.raises(ValidationFailed) as refused:
        settings_update(changes={"scoring.grade_b_min": 50}, by=admin_user)
    assert "scoring.grade_a_min" in refused.value.fields


def test_the_weighted_model_weighs_each_dimension(admin_user):
    # SPEC: LEAD-SCR-2 — fit 50% / behaviour 25% / interaction 25% over three dimensions.
    with pytest.raises(ValidationFailed) as refused:
        settings_update(changes={"scoring.weighted": True, "scoring.weight_fit": 60}, by=admin_user)
    assert refused.value.fields == {"scoring.weight_fit": "the weights add up to 130, not 100"}
    settings_update(
        changes={
            "scoring.weighted": True,
            "scoring.weight_fit": 50,
            "scoring.weight_behaviour": 25,
            "scoring.weight_interaction": 25,
        },
        by=admin_user,
    )
    scoring = Scoring.load()
    found = contributions(scoring, {"industry": "制造业"}, {"downloaded_material": 1})
    assert {item.rule: item.points for item in found} == {"目标行业": 20, "下载核心资料": 10}
    # 20 × 50% × 3 + 10 × 25% × 3 = 30 + 7.5
    assert score_values(scoring, {"industry": "制造业"}, {"downloaded_material": 1})[0] == 38


def test_an_event_re_scores_at_once_and_says_why(capture, make_user):
    # SPEC: LEAD-SCR-4
    lead = capture(industry="零售").lead
    assert (lead.score, lead.grade) == (0, "C")
    rep = make_user()
    lead_event_record(lead=lead, kind="webinar_question", by=rep)
    lead_event_record(lead=lead, kind="webinar_question", by=rep)  # counts once
    lead.refresh_from_db()
    assert (lead.score, lead.grade, lead.priority) == (15, "B", "medium")
    [scored] = LeadEvent.objects.filter(lead=lead, kind="scored")
    assert scored.data["trigger"] == "webinar_question"
    assert (scored.data["score"], scored.data["grade"]) == ([0, 15], ["C", "B"])
    assert scored.data["changes"] == [{"rule": "研讨会提问", "points": 15}]
    with pytest.raises(ValidationFailed) as refused:
        lead_event_record(lead=lead, kind="liked_a_post", by=rep)
    assert "kind" in refused.value.fields


def test_a_person_sets_the_priority_with_a_reason_and_it_stays(capture, make_user):
    # SPEC: LEAD-SCR-3
    lead = capture(industry="零售").lead
    manager = make_user("sales_manager")
    with pytest.raises(ValidationFailed) as refused:
        lead_priority_set(lead=lead, priority="high", reason=" ", by=manager)
    assert refused.value.fields == {"reason": "设置优先级时必填"}
    lead_priority_set(lead=lead, priority="high", reason="老客户介绍，决策人已见面", by=manager)
    lead_event_record(lead=lead, kind="consulted_sales", by=manager)
    lead.refresh_from_db()
    assert (lead.grade, lead.priority) == ("B", "high")  # the grade moved, the priority stayed
    lead_priority_set(lead=lead, priority="", reason="", by=manager)
    lead.refresh_from_db()
    assert (lead.priority, lead.priority_reason) == ("medium", "")


def test_a_rule_change_is_previewed_then_saved_and_every_lead_re_scored(
    capture, admin_user, run_tasks
):
    # SPEC: LEAD-SCR-1 — rules are data an administrator edits, with the effect shown first.
    target = capture(industry="制造业", mobile="13800138001", email="", name="甲公司").lead
    capture(industry="零售", mobile="13800138002", email="", name="乙公司")
    rule = ScoreRule.objects.get(name="目标行业")
    rule.points = 30
    assert score_rule_preview(rule) == {"B→A": 1}
    target.refresh_from_db()
    assert target.grade == "B"  # a preview changes nothing

    run_tasks()  # the captures' own work (assignment) first
    score_rule_save(rule=rule, by=admin_user)
    [result] = run_tasks()
    assert result.return_value == {"changed": 1}
    target.refresh_from_db()
    assert (target.score, target.grade, target.priority) == (30, "A", "high")
    scored = LeadEvent.objects.get(lead=target, kind="scored")
    assert (scored.data["trigger"], scored.data["score"]) == ("rules", [20, 30])
    version = AuditLog.objects.get(action="scorerule.update")
    assert version.changes == {"points": [20, 30]}  # the rule's previous version is kept


def test_a_rule_that_cannot_work_is_refused(admin_user):
    # SPEC: LEAD-SCR-1
    both = ScoreRule(name="x", dimension="fit", field="industry", event="email_opened", points=5)
    with pytest.raises(ValidationFailed) as refused:
        score_rule_save(rule=both, by=admin_user)
    assert refused.value.fields == {"event": "一条规则只能计一个字段或一个事件，不能两者都有"}
    bad_number = ScoreRule(
        name="y", dimension="fit", field="employees", operator="at_least", value="many", points=5
    )
    with pytest.raises(ValidationFailed) as refused:
        score_rule_preview(bad_number)
    assert refused.value.fields == {"value": "'many' 不是数字"}
    assert not ScoreRule.objects.filter(name__in=["x", "y"]).exists()
