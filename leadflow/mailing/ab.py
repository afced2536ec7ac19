"""A/B tests of a send (AUT-4): the statistics, in one place, with scipy.

Each variant is compared with the control (variant A) on its 2×2 table of successes
(unique clicks by default, or unique opens) and failures among delivered messages: a
chi-squared test without continuity correction, or Fisher's exact test when an expected
count is below 5. With more than one challenger the p-values are Holm-corrected. The test
runs once, at the decision time; a variant under the minimum sample means "too small",
and no significant difference means the control goes to the rest."""

from dataclasses import dataclass
from decimal import Decimal
from math import ceil, sqrt
from types import ModuleType


def _stats() -> ModuleType:
    """scipy.stats, imported when a test is decided or sized: it costs 0.6 s to import,
    which every process (a CLI import, a worker, a test run) would pay at start."""
    import scipy.stats  # noqa: PLC0415 - deliberately late

    return scipy.stats


@dataclass(frozen=True)
class Arm:
    successes: int
    trials: int

    @property
    def rate(self) -> float:
        return self.successes / self.trials if self.trials else 0.0

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """Wilson's interval for the rate."""
        if not self.trials:
            return (0.0, 0.0)
        found = (
            _stats()
            .binomtest(self.successes, self.trials)
            .proportion_ci(confidence_level=confidence, method="wilson")
        )
        return (found.low, found.high)


@dataclass(frozen=True)
class Comparison:
    variant: int  # index into the arms, 1 for B …
    test: str  # "chi2" or "fisher"
    p_value: float
    adjusted_p: float


@dataclass(frozen=True)
class Decision:
    outcome: str  # "winner", "no_difference", "too_small"
    winner: int  # the arm that goes to the rest (0: the control)
    comparisons: list[Comparison]


def compare(control: Arm, challenger: Arm) -> tuple[str, float]:
    """(test used, two-sided p-value) for challenger against control."""
    table = [
        [control.successes, control.trials - control.successes],
        [challenger.successes, challenger.trials - challenger.successes],
    ]
    column = [table[0][j] + table[1][j] for j in range(2)]
    total = control.trials + challenger.trials
    if 0 in column or not total:
        return "chi2", 1.0  # nobody (or everybody) succeeded: no difference to find
    expected = [
        row_total * col / total
        for row_total in (control.trials, challenger.trials)
        for col in column
    ]
    if min(expected) < 5:
        return "fisher", float(_stats().fisher_exact(table)[1])
    return "chi2", float(_stats().chi2_contingency(table, correction=False)[1])


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment, in the order given."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def decide(arms: list[Arm], *, alpha: float = 0.05, min_sample: int = 200) -> Decision:
    """The one decision at the decision time: the best challenger significantly better
    than the control wins; otherwise the control."""
    if any(arm.trials < min_sample for arm in arms):
        return Decision("too_small", 0, [])
    tests = [compare(arms[0], arm) for arm in arms[1:]]
    adjusted = holm([p for _test, p in tests])
    comparisons = [
        Comparison(index + 1, test, p, adjusted[index]) for index, (test, p) in enumerate(tests)
    ]
    better = [
        c for c in comparisons if c.adjusted_p < alpha and arms[c.variant].rate > arms[0].rate
    ]
    if not better:
        return Decision("no_difference", 0, comparisons)
    best = max(better, key=lambda c: arms[c.variant].rate)
    return Decision("winner", best.variant, comparisons)


def sample_size(base_rate: float, lift: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Messages each variant needs to detect `base_rate` → `base_rate + lift` (two-sided,
    two proportions, normal approximation)."""
    other = base_rate + lift
    if not 0 < base_rate < 1 or not 0 < other < 1 or lift == 0:
        raise ValueError("rates must lie between 0 and 1 and differ")
    mean = (base_rate + other) / 2
    norm = _stats().norm
    z_alpha, z_power = norm.ppf(1 - alpha / 2), norm.ppf(power)
    numerator = (
        z_alpha * sqrt(2 * mean * (1 - mean))
        + z_power * sqrt(base_rate * (1 - base_rate) + other * (1 - other))
    ) ** 2
    return ceil(numerator / lift**2)


def percent(value: float) -> Decimal:
    return (Decimal(str(value)) * 100).quantize(Decimal("0.1"))
