"""The predictive score (LEAD-SCR-5): trained on the company's own closed leads, refused
below a minimum, blind to what was learnt after the prediction's moment, explained in
words, and reviewed rule by rule."""

import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import translation

from leadflow.core.company_settings import settings_update
from leadflow.core.errors import ValidationFailed
from leadflow.core.models import PeriodicSlot
from leadflow.leads.models import Channel, Lead, LeadEvent, ScoreRule, WinModel
from leadflow.leads.prediction import (
    current_model,
    feature_words,
    lead_win_chance,
    open_lead_chances,
    train_nightly,
    win_model_train,
    win_model_train_later,
)

pytestmark = pytest.mark.django_db
START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def lead_row(n: int, *, stage: str, channel: Channel, employees=None, status="accepted"):
    at = START + timedelta(hours=n)
    return Lead(
        number=f"P{n:06d}",
        kind="company",
        name=f"预测公司{n}",
        industry="制造业",
        need="采购设备",
        channel=channel,
        employees=employees,
        acquired_at=at,
        values_at=at,
        created_at=at,
        updated_at=at,
        lawful_basis="合同",
        status=status,
        stage=stage,
        furthest_stage=stage,
        captured_via="import",
    )


def history(won: int, lost: int, *, signal: bool = True, event_day: float | None = None):
    """`won` won leads and `lost` lost ones. With `signal`, 展会 (Z) and 500+ employees
    win more often than 官网 (G) and small companies, as a real history would show. With
    `event_day`, every won lead — and no lost one — has 咨询销售 recorded that many days
    after it arrived: a perfect tell, if the model could read it."""
    rng = random.Random(5)
    channels = {code: Channel.objects.get(code=code) for code in "GZ"}
    rows = []
    for n in range(won + lost):
        is_won = n < won
        if signal:
            strong = rng.random() < (0.8 if is_won else 0.2)
            channel, employees = channels["Z" if strong else "G"], 800 if strong else 20
        else:
            channel, employees = channels[rng.choice("GZ")], rng.choice([None, 20, 800])
        rows.append(
            lead_row(n, stage="won" if is_won else "lost", channel=channel, employees=employees)
        )
    leads = Lead.objects.bulk_create(rows)
    if event_day is not None:
        LeadEvent.objects.bulk_create(
            LeadEvent(lead=lead, at=lead.acquired_at + timedelta(days=event_day), kind=kind)
            for lead in leads
            if lead.stage == "won"
            for kind in ("consulted_sales",)
        )
    return leads


@pytest.fixture
def minimum_50(admin_user):
    settings_update(changes={"prediction.min_per_class": 50}, by=admin_user)


def test_refuses_to_train_below_the_minimum_and_says_so(admin_user):
    # SPEC: LEAD-SCR-5 — refuses below a minimum of closed leads per class (default 200)
    history(won=40, lost=300)
    with time_machine.travel(NOW, tick=False):
        attempt = win_model_train()
    assert attempt.refused
    assert (attempt.won, attempt.not_won, attempt.minimum) == (40, 300, 200)
    assert attempt.auc is None
    assert attempt.estimator is None
    assert current_model() is None
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused:
        win_model_train_later(by=admin_user)
    assert "40" in refused.value.message
    assert "200" in refused.value.message
    assert "成交" in refused.value.message


def test_trains_measures_and_explains_in_words(minimum_50):
    # SPEC: LEAD-SCR-5 — hold-out AUC, calibration by decile, win probability with reasons
    history(won=150, lost=150)
    with time_machine.travel(NOW, tick=False):
        model = win_model_train()
    assert not model.refused
    assert (model.won, model.not_won) == (150, 150)
    assert model.auc > 0.7  # the history's signal (channel, size) is learnt
    assert sum(decile["leads"] for decile in model.calibration) == 75  # the hold-out quarter
    assert len(model.calibration) == 10
    predicted = [decile["predicted"] for decile in model.calibration]
    assert predicted == sorted(predicted)
    assert current_model() == model

    strong = lead_row(9001, stage="initial", channel=Channel.objects.get(code="Z"), employees=900)
    weak = lead_row(9002, stage="initial", channel=Channel.objects.get(code="G"), employees=10)
    Lead.objects.bulk_create([strong, weak])
    with time_machine.travel(NOW, tick=False), translation.override("zh-hans"):
        good, poor = lead_win_chance(strong), lead_win_chance(weak)
    assert good.probability > 0.6 > 0.4 > poor.probability
    words = [reason.words for reason in good.reasons]
    assert "渠道=展会" in words
    assert "员工人数=500+" in words
    assert all(reason.points > 0 for reason in good.reasons[:2])
    assert any(reason.words == "渠道=官网" and reason.points < 0 for reason in poor.reasons)
    chances = dict(open_lead_chances(now=NOW))
    assert chances[strong.pk] == pytest.approx(good.probability)
    assert set(chances) == {strong.pk, weak.pk}  # only open leads


def test_a_lead_closed_has_no_chance_shown(minimum_50):
    # SPEC: LEAD-SCR-5 — the chance is for open leads
    leads = history(won=60, lost=60)
    with time_machine.travel(NOW, tick=False):
        win_model_train()
        assert lead_win_chance(leads[0]) is None


@pytest.mark.parametrize(("event_day", "learnt"), [(20, False), (2, True)])
def test_what_happens_after_the_window_is_not_seen(minimum_50, event_day, learnt):
    # SPEC: LEAD-SCR-5 — leakage guard: only what was known when the prediction is made
    # A consultation recorded on day 20 of every won lead would give a perfect score; the
    # model reads the first 7 days, so it does not see it. On day 2, it does.
    history(won=100, lost=100, signal=False, event_day=event_day)
    with time_machine.travel(NOW, tick=False):
        model = win_model_train()
    features = [name for name, _weight in model.weights]
    if learnt:
        assert model.auc > 0.95
        assert "event:consulted_sales" in features
    else:
        assert model.auc < 0.7
        assert "event:consulted_sales" not in features
    assert not any(name.startswith(("stage", "status", "score")) for name in features)


def test_rule_review_counts_win_rates_with_and_without_each_rule(minimum_50):
    # SPEC: LEAD-SCR-5 — per score rule, win rate of leads that hit it vs those that did not
    history(won=60, lost=60, signal=False, event_day=1)  # every won lead consulted sales
    company = history_rows_big_companies()
    with time_machine.travel(NOW, tick=False):
        model = win_model_train()
    review = {row["rule"]: row for row in model.rule_review}
    consulted = review[ScoreRule.objects.get(event="consulted_sales", active=True).name]
    assert (consulted["hit"], consulted["hit_won"], consulted["rest"], consulted["rest_won"]) == (
        60,
        60,
        60 + company,
        0,
    )
    assert consulted["hit_rate"] == 1.0
    assert consulted["rest_rate"] == 0.0


def history_rows_big_companies() -> int:
    """Ten more lost leads, none of which consulted sales."""
    channel = Channel.objects.get(code="G")
    Lead.objects.bulk_create(
        lead_row(5000 + n, stage="invalid", channel=channel, employees=600) for n in range(10)
    )
    return 10


def test_trained_nightly_once_a_day_from_the_hour_set():
    # SPEC: LEAD-SCR-5 — trained by the worker nightly
    night = datetime(2026, 6, 1, 17, 30, tzinfo=UTC)  # 01:30 in Shanghai
    assert train_nightly(night) == {"queued": 0}
    assert train_nightly(night + timedelta(hours=1)) == {"queued": 1}  # 02:30
    assert train_nightly(night + timedelta(hours=5)) == {"queued": 0}  # the day is claimed
    assert PeriodicSlot.objects.filter(job="win_model").count() == 1


def test_features_read_as_chinese_words():
    # SPEC: LEAD-SCR-5 — reasons in words
    with translation.override("zh-hans"):
        assert feature_words("channel=Z") == "渠道=展会"
        assert feature_words("first_contact=4h") == "首次联系=4 小时内"
        assert feature_words("budget=") == "预算=未填写"
        assert feature_words("event:email_opened", 3) == "打开营销邮件 3 次"


def test_a_refused_attempt_is_kept_beside_the_model_in_use(minimum_50):
    # SPEC: LEAD-SCR-5 — versioned: the page says why there is no newer model
    history(won=60, lost=60)
    with time_machine.travel(NOW, tick=False):
        trained = win_model_train()
    Lead.objects.filter(stage="won").update(stage="paused")
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        refused = win_model_train()
    assert refused.refused
    assert refused.won == 0
    assert current_model() == trained
    assert list(WinModel.objects.values_list("pk", flat=True)) == [refused.pk, trained.pk]


def test_the_page_shows_the_model_its_review_and_exports_them(minimum_50, admin_user, client):
    # SPEC: LEAD-SCR-5, ANA-6 — AUC, calibration and training date on its page; tables export
    history(won=80, lost=80)
    with time_machine.travel(NOW, tick=False):
        model = win_model_train()
    client.force_login(admin_user)
    page = client.get("/leads/prediction/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"{model.auc:.3f}" in page
    assert "2026-06-01" in page
    assert "校准" in page
    assert "评分规则与结果对照" in page
    assert "咨询销售代表" in page
    export = client.get("/leads/prediction/?export=csv&table=calibration")
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "十分位,预测,实际,线索"
    assert len(lines) == 11


def test_training_on_demand_refused_with_the_counts(admin_user, client):
    # SPEC: LEAD-SCR-5 — refuses below the minimum and says so, on the page
    history(won=5, lost=5)
    client.force_login(admin_user)
    answer = client.post("/leads/prediction/", follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "成交 5 条，无效或丢失 5 条；每类至少需要 200 条" in answer.content.decode()
    assert not WinModel.objects.exists()


def test_the_lead_page_shows_the_chance_beside_the_rule_score(minimum_50, admin_user, client):
    # SPEC: LEAD-SCR-5 — each open lead shows its win probability with its top reasons
    history(won=80, lost=80)
    with time_machine.travel(NOW, tick=False):
        win_model_train()
    lead = lead_row(9100, stage="initial", channel=Channel.objects.get(code="Z"), employees=700)
    Lead.objects.bulk_create([lead])
    client.force_login(admin_user)
    with time_machine.travel(NOW, tick=False):
        chance = lead_win_chance(lead)
        page = client.get(f"/leads/{lead.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "成交概率" in page
    assert f"{chance.probability * 100:.1f} %" in page
    assert "渠道=展会 +" in page  # the strong channel raises the chance


def test_the_api_gives_the_chance_with_its_reasons(minimum_50, admin_user, api_for):
    # SPEC: LEAD-SCR-5 — the same chance and reasons through the API
    history(won=80, lost=80)
    with time_machine.travel(NOW, tick=False):
        model = win_model_train()
    lead = lead_row(9200, stage="initial", channel=Channel.objects.get(code="Z"), employees=700)
    Lead.objects.bulk_create([lead])
    with time_machine.travel(NOW, tick=False), translation.override("zh-hans"):
        chance = lead_win_chance(lead)
        body = api_for(admin_user).get(f"/api/v1/leads/{lead.pk}").json()
    assert body["win_chance"]["model_version"] == model.pk
    assert body["win_chance"]["probability"] == round(chance.probability, 4)
    assert [r["words"] for r in body["win_chance"]["reasons"]] == [r.words for r in chance.reasons]
