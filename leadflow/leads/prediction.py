"""The predictive score (LEAD-SCR-5): a lead's chance to be won, learnt from the company's
own closed leads, shown beside the rule score with its main reasons.

What the model may read is fixed by the moment a prediction is made: `window_days` after
the lead arrived (or now, for a younger lead). It sees the lead's values at capture
(channel, industry, region, kind, size, budget, timeline), the scoring events recorded
before that moment (emails opened, material downloaded …) and which score rules they hit,
and how soon the first contact came, if it came by then. It never sees the stage, the
follow-ups' outcomes or anything recorded later: those are what is being predicted, and a
model that read them would look perfect on the past and know nothing of a new lead.

Training (`win_model_train`, nightly by the worker and on demand) fits scikit-learn's
logistic regression on three quarters of the closed leads (won against invalid or lost)
and measures it on the fourth: AUC and calibration by decile. Each reason in words is a
feature group's share of the lead's log-odds (coefficient × the lead's value less the
training mean: the linear model's exact contribution), shown as how many points of
probability it adds.
"""

import pickle
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from leadflow.core.company_settings import define, get_settings
from leadflow.core.errors import ValidationFailed
from leadflow.core.models import PeriodicSlot
from leadflow.core.sweeps import sweep

from .models import Channel, Lead, LeadEvent, LeadStatus, ScoreRule, Stage, WinModel
from .scoring import EVENTS, Scoring, contributions

GROUP = _("Predictive score")
define(
    "prediction.min_per_class",
    200,
    "int",
    _("Closed leads needed of each outcome to train"),
    GROUP,
    minimum=10,
    help=_("Won leads and invalid or lost leads: below this the model is not trained."),
)
define(
    "prediction.window_days",
    7,
    "int",
    _("Days after arrival the prediction is made"),
    GROUP,
    minimum=0,
    maximum=90,
    help=_("The model reads what was known this many days after a lead arrived, no later."),
)
define(
    "prediction.train_hour", 2, "int", _("Train nightly at (hour)"), GROUP, minimum=0, maximum=23
)

WON = (Stage.WON,)
NOT_WON = (Stage.INVALID, Stage.LOST)
CHUNK = 5_000
EVENT_CAP = 10  # an event counted more often than this says nothing more
HOLD_OUT = 0.25
TOP_REASONS = 3
# What the model reads from a lead row: never stage, status, score or follow-ups.
CAPTURE_FIELDS = (
    "id",
    "acquired_at",
    "first_contact_at",
    "channel_id",
    "kind",
    "industry",
    "region",
    "employees",
    "budget",
    "purchase_timeline",
    "need",
)


def employees_band(employees: int | None) -> str:
    if employees is None:
        return ""
    for floor, band in ((500, "500+"), (200, "200-499"), (50, "50-199")):
        if employees >= floor:
            return band
    return "<50"


def province_of(region: str) -> str:
    """The first part of a region as the pickers write it (广东省 深圳市 南山区 → 广东省)."""
    return region.replace("/", " ").split(" ", 1)[0].strip() if region else ""


def first_contact_band(acquired_at: datetime, first_contact_at: datetime | None, cutoff) -> str:
    if first_contact_at is None or first_contact_at >= cutoff:
        return "none"
    hours = (first_contact_at - acquired_at).total_seconds() / 3600
    return "4h" if hours <= 4 else "24h" if hours <= 24 else "later"


def lead_features(
    row: Mapping[str, Any],
    counts: Mapping[str, int],
    scoring: Scoring,
    channel_codes: Mapping[int, str],
    cutoff: datetime,
) -> dict[str, float]:
    """The features of one lead as known at `cutoff`: categorical values as `name=value`
    keys worth 1, event counts and rule hits as numbers."""
    contact = first_contact_band(row["acquired_at"], row["first_contact_at"], cutoff)
    features: dict[str, float] = {
        f"channel={channel_codes.get(row['channel_id'], '')}": 1,
        f"kind={row['kind']}": 1,
        f"industry={row['industry']}": 1,
        f"region={province_of(row['region'])}": 1,
        f"employees={employees_band(row['employees'])}": 1,
        f"budget={row['budget']}": 1,
        f"timeline={row['purchase_timeline']}": 1,
        f"first_contact={contact}": 1,
    }
    for kind, times in counts.items():
        features[f"event:{kind}"] = min(times, EVENT_CAP)
    for found in contributions(scoring, row, counts):
        features[f"rule:{found.rule_id}"] = 1
    return features


@dataclass
class Examples:
    lead_ids: list[int]
    features: list[dict[str, float]]
    won: list[int]  # 1 won, 0 not won; empty for open leads


def _chunks(leads: QuerySet[Lead]) -> Iterator[list[dict[str, Any]]]:
    """The leads' capture values a chunk at a time, in id order (keyset paging)."""
    after = 0
    while True:
        rows = list(
            leads.filter(id__gt=after).order_by("id").values(*CAPTURE_FIELDS, "stage")[:CHUNK]
        )
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]


def _event_counts_before(
    rows: Sequence[Mapping[str, Any]], cutoffs: Mapping[int, datetime]
) -> dict[int, Counter]:
    """{lead id: {scoring event: times}} counting only events before each lead's cutoff."""
    counts: dict[int, Counter] = {row["id"]: Counter() for row in rows}
    events = LeadEvent.objects.filter(
        lead_id__in=list(counts), kind__in=EVENTS, at__lt=max(cutoffs.values())
    ).values_list("lead_id", "kind", "at")
    for lead_id, kind, at in events.order_by().iterator(chunk_size=CHUNK):
        if at < cutoffs[lead_id]:
            counts[lead_id][kind] += 1
    return counts


def examples_of(leads: QuerySet[Lead], *, window_days: int, now: datetime) -> Iterator[Examples]:
    """The leads' features as known `window_days` after each arrived (or at `now`, if
    sooner), a chunk at a time, with the outcome of those that are closed."""
    scoring = Scoring.current()
    channel_codes = dict(Channel.objects.values_list("id", "code"))
    window = timedelta(days=window_days)
    for rows in _chunks(leads):
        cutoffs = {row["id"]: min(row["acquired_at"] + window, now) for row in rows}
        counts = _event_counts_before(rows, cutoffs)
        yield Examples(
            [row["id"] for row in rows],
            [
                lead_features(row, counts[row["id"]], scoring, channel_codes, cutoffs[row["id"]])
                for row in rows
            ],
            [int(row["stage"] == Stage.WON) for row in rows],
        )


def closed_leads() -> QuerySet[Lead]:
    return Lead.objects.filter(stage__in=(*WON, *NOT_WON)).exclude(status=LeadStatus.MERGED)


def open_leads() -> QuerySet[Lead]:
    return Lead.objects.filter(
        status__in=(
            LeadStatus.TO_VERIFY,
            LeadStatus.TO_ASSIGN,
            LeadStatus.ASSIGNED,
            LeadStatus.ACCEPTED,
            LeadStatus.NURTURE,
            LeadStatus.POOL,
        )
    ).exclude(stage__in=(*WON, *NOT_WON, Stage.PAUSED))


def outcome_counts() -> tuple[int, int]:
    """(won, invalid or lost) among the closed leads."""
    closed = closed_leads()
    won = closed.filter(stage__in=WON).count()
    return won, closed.count() - won


def training_refusal(won: int, not_won: int, minimum: int) -> str:
    """Why the model cannot be trained on these counts, or "" when it can."""
    if won >= minimum and not_won >= minimum:
        return ""
    return gettext(
        "Too few closed leads to train: %(won)s won and %(not_won)s invalid or lost; "
        "each needs at least %(minimum)s."
    ) % {"won": won, "not_won": not_won, "minimum": minimum}


def _rule_review(examples: Examples) -> list[dict[str, Any]]:
    """Per active score rule: how many closed leads hit it (within the window) and how many
    of those were won, against the leads that did not."""
    total, total_won = len(examples.won), sum(examples.won)
    review = []
    for rule in Scoring.current().rules:
        key = f"rule:{rule.id}"
        hit = [
            won
            for features, won in zip(examples.features, examples.won, strict=True)
            if key in features
        ]
        hit_won = sum(hit)
        rest, rest_won = total - len(hit), total_won - hit_won
        review.append(
            {
                "rule_id": rule.id,
                "rule": rule.name,
                "points": rule.points,
                "hit": len(hit),
                "hit_won": hit_won,
                "hit_rate": hit_won / len(hit) if hit else None,
                "rest": rest,
                "rest_won": rest_won,
                "rest_rate": rest_won / rest if rest else None,
            }
        )
    return review


def merged_examples(parts: Sequence[Examples]) -> Examples:
    return Examples(
        [lead_id for part in parts for lead_id in part.lead_ids],
        [features for part in parts for features in part.features],
        [won for part in parts for won in part.won],
    )


def _calibration(won: np.ndarray, predicted: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Predicted against actual win rate by decile of the prediction."""
    order = np.argsort(predicted, kind="stable")
    return [
        {
            "predicted": float(predicted[part].mean()),
            "actual": float(won[part].mean()),
            "leads": len(part),
        }
        for part in np.array_split(order, bins)
        if len(part)
    ]


def fit(examples: Examples) -> dict[str, Any]:
    """Fit on three quarters, measure on the rest: the estimator and its figures."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    vectorizer = DictVectorizer(sparse=True)
    features = vectorizer.fit_transform(examples.features)
    won = np.asarray(examples.won)
    train_x, test_x, train_y, test_y = train_test_split(
        features, won, test_size=HOLD_OUT, stratify=won, random_state=0
    )
    model = LogisticRegression(max_iter=2_000)
    model.fit(train_x, train_y)
    predicted = model.predict_proba(test_x)[:, 1]
    means = np.asarray(train_x.mean(axis=0)).ravel()
    names = vectorizer.get_feature_names_out()
    weights = sorted(zip(names, model.coef_[0], strict=True), key=lambda pair: -abs(pair[1]))
    return {
        "estimator": (vectorizer, model, means),
        "auc": float(roc_auc_score(test_y, predicted)),
        "calibration": _calibration(test_y, predicted),
        "weights": [[str(name), round(float(weight), 4)] for name, weight in weights],
    }


def win_model_train(*, by=None, now: datetime | None = None) -> WinModel:
    """Train on the closed leads, or record why not (too few of an outcome). Either way
    the attempt is kept, with the rule review it measured."""
    now = now or timezone.now()
    started = time.perf_counter()
    values = get_settings("prediction.")
    minimum, window_days = values["prediction.min_per_class"], values["prediction.window_days"]
    examples = merged_examples(list(examples_of(closed_leads(), window_days=window_days, now=now)))
    won = sum(examples.won)
    not_won = len(examples.won) - won
    attempt = WinModel(
        trained_at=now,
        by=by,
        won=won,
        not_won=not_won,
        minimum=minimum,
        window_days=window_days,
        rule_review=_rule_review(examples),
    )
    if training_refusal(won, not_won, minimum):
        attempt.refused = True
    else:
        fitted = fit(examples)
        attempt.auc = fitted["auc"]
        attempt.calibration = fitted["calibration"]
        attempt.weights = fitted["weights"][:40]
        attempt.estimator = pickle.dumps(fitted["estimator"], protocol=pickle.HIGHEST_PROTOCOL)
    attempt.seconds = round(time.perf_counter() - started, 2)
    with transaction.atomic():
        attempt.save()
    return attempt


@task()
def win_model_train_task(by_id: int | None = None) -> dict[str, Any]:
    attempt = win_model_train(by=_user(by_id))
    return {"model": attempt.pk, "refused": attempt.refused, "auc": attempt.auc}


def _user(user_id: int | None):
    if user_id is None:
        return None
    from leadflow.accounts.models import User

    return User.objects.filter(pk=user_id).first()


def win_model_train_later(*, by) -> None:
    """Train in the worker (a big history takes a while), refusing at once when the closed
    leads are too few, so the person who asked sees why."""
    minimum = get_settings("prediction.")["prediction.min_per_class"]
    refusal = training_refusal(*outcome_counts(), minimum)
    if refusal:
        raise ValidationFailed(refusal, fields={"prediction.min_per_class": str(minimum)})
    win_model_train_task.enqueue(by.pk)


@sweep("leads.win_model")
def train_nightly(now: datetime) -> dict[str, Any]:
    """Once a day, from `prediction.train_hour` local time: one worker claims the day."""
    local = timezone.localtime(now)
    if local.hour < get_settings("prediction.")["prediction.train_hour"]:
        return {"queued": 0}
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        with transaction.atomic():
            PeriodicSlot.objects.create(job="win_model", slot=day, claimed_by="sweep")
            win_model_train_task.enqueue()
    except IntegrityError:
        return {"queued": 0}
    return {"queued": 1}


# --- predicting -------------------------------------------------------------------------

_LOADED: dict[int, tuple[Any, Any, np.ndarray]] = {}


def current_model() -> WinModel | None:
    """The newest model that trained (without its estimator bytes)."""
    return WinModel.objects.filter(refused=False).defer("estimator").first()


def _estimator(model: WinModel) -> tuple[Any, Any, np.ndarray]:
    if model.pk not in _LOADED:
        stored = WinModel.objects.values_list("estimator", flat=True).get(pk=model.pk)
        assert stored is not None  # a model that trained keeps its estimator
        _LOADED.clear()  # keep one: a newer model replaces the old
        # Written by `win_model_train` alone, into the company's own database.
        _LOADED[model.pk] = pickle.loads(bytes(stored))  # noqa: S301
    return _LOADED[model.pk]


@dataclass(frozen=True)
class Reason:
    feature: str  # the key, e.g. channel=E
    words: str  # 渠道=展会
    points: float  # points of probability it adds (negative: takes)

    @property
    def shown(self) -> str:
        """+12 % / -8 %: the points rounded, as the lead page shows them."""
        value = round(self.points * 100)
        return f"{value:+d} %" if value else f"{'+' if self.points > 0 else '-'}0 %"


@dataclass(frozen=True)
class WinChance:
    probability: float
    reasons: tuple[Reason, ...]
    model: WinModel


def _group(name: str) -> str:
    return name.partition("=")[0]


def chances_for(examples: Examples, model: WinModel, *, reasons: bool = True) -> list[WinChance]:
    """Each example's chance under `model` and, with `reasons`, the feature groups that
    move it most (a group: all values of one field, or one event or rule)."""
    vectorizer, estimator, means = _estimator(model)
    features = vectorizer.transform(examples.features)
    probabilities = estimator.predict_proba(features)[:, 1]
    if not reasons:
        return [WinChance(float(p), (), model) for p in probabilities]
    names = vectorizer.get_feature_names_out()
    groups = sorted({_group(name) for name in names})
    group_index = {group: n for n, group in enumerate(groups)}
    member = np.zeros((len(names), len(groups)))
    for column, name in enumerate(names):
        member[column, group_index[_group(name)]] = 1
    weights = estimator.coef_[0]
    # Each group's share of the log-odds: Σ coefficient × (value − training mean).
    shares = (features.multiply(weights).toarray() - means * weights) @ member
    logits = np.log(probabilities / (1 - probabilities))
    chances = []
    for row, probability in enumerate(probabilities):
        without = 1 / (1 + np.exp(-(logits[row] - shares[row])))
        moved = probability - without
        top = np.argsort(-np.abs(moved), kind="stable")[:TOP_REASONS]
        found = examples.features[row]
        chances.append(
            WinChance(
                float(probability),
                tuple(
                    _reason(groups[n], found, float(moved[n])) for n in top if abs(moved[n]) >= 5e-3
                ),
                model,
            )
        )
    return chances


def lead_win_chance(lead: Lead, *, now: datetime | None = None) -> WinChance | None:
    """The open lead's chance under the current model, with its top reasons; None when
    there is no model yet or the lead is closed."""
    model = current_model()
    if model is None or not open_leads().filter(pk=lead.pk).exists():
        return None
    examples = next(
        examples_of(
            Lead.objects.filter(pk=lead.pk),
            window_days=model.window_days,
            now=now or timezone.now(),
        )
    )
    return chances_for(examples, model)[0]


def open_lead_chances(*, now: datetime | None = None) -> Iterator[tuple[int, float]]:
    """(lead id, chance) for every open lead under the current model, a chunk at a time."""
    model = current_model()
    if model is None:
        return
    for examples in examples_of(
        open_leads(), window_days=model.window_days, now=now or timezone.now()
    ):
        chances = chances_for(examples, model, reasons=False)
        for lead_id, chance in zip(examples.lead_ids, chances, strict=True):
            yield lead_id, chance.probability


# --- words --------------------------------------------------------------------------------

FIELD_WORDS = {
    "channel": _("Channel"),
    "kind": _("Kind"),
    "industry": _("Industry"),
    "region": _("Region"),
    "employees": _("Employees"),
    "budget": _("Budget"),
    "timeline": _("Purchase timeline"),
    "first_contact": _("First contact"),
}
FIRST_CONTACT_WORDS = {
    "4h": _("within 4 hours"),
    "24h": _("within 24 hours"),
    "later": _("later"),
    "none": _("not yet"),
}


def feature_words(feature: str, value: float = 1) -> str:
    """A feature in words: 渠道=展会, 员工人数=500+, 打开营销邮件 3 次, 命中规则：目标行业."""
    kind, _sep, rest = feature.partition(":")
    if kind == "event":
        label = dict(ScoreRule.Event.choices).get(rest, rest)
        return gettext("%(event)s %(times)s times") % {"event": label, "times": int(value)}
    if kind == "rule":
        name = ScoreRule.objects.filter(pk=rest).values_list("name", flat=True).first() or rest
        if value:
            return gettext("Hit score rule: %(rule)s") % {"rule": name}
        return gettext("Missed score rule: %(rule)s") % {"rule": name}
    field, _sep, choice = feature.partition("=")
    if field == "channel":
        choice = (
            Channel.objects.filter(code=choice).values_list("name", flat=True).first() or choice
        )
    elif field == "first_contact":
        choice = str(FIRST_CONTACT_WORDS.get(choice, choice))
    elif field == "kind":
        choice = str(dict(Lead.Kind.choices).get(choice, choice))
    shown = choice or gettext("not given")
    return f"{FIELD_WORDS.get(field, field)}={shown}"


def _reason(group: str, found: Mapping[str, float], moved: float) -> Reason:
    if ":" in group:
        value = found.get(group, 0)
        return Reason(group, feature_words(group, value), moved)
    key = next((name for name in found if _group(name) == group), f"{group}=")
    return Reason(key, feature_words(key), moved)
