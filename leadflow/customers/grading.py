"""Customer grade A/B/C/D (CUS-3): expected annual sales against thresholds in 万元, moved
one step by purchasing power, order frequency and potential.

`grade_of` is pure. The base grade comes from expected sales (defaults: A ≥ 100, B ≥ 50,
C ≥ 10, D below); two or more strong signs (purchasing power high, potential high, an order
a month or more) lift it one step, two or more weak signs (low, low, at most one order a
year) lower it one step. No expected sales, no grade.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from leadflow.core.company_settings import CHECKS, define, get_settings

GROUP = _("Customer grades")
define("customers.grade_a_wan", 100, "int", _("Grade A from expected sales of (10k yuan)"), GROUP)
define("customers.grade_b_wan", 50, "int", _("Grade B from expected sales of (10k yuan)"), GROUP)
define("customers.grade_c_wan", 10, "int", _("Grade C from expected sales of (10k yuan)"), GROUP)
GRADES = "ABCD"


def _check_order(values: dict[str, Any]) -> dict[str, str]:
    a, b, c = (values[f"customers.grade_{g}_wan"] for g in "abc")
    if a > b > c >= 0:
        return {}
    return {"customers.grade_b_wan": f"the thresholds must fall: A {a} > B {b} > C {c} ≥ 0"}


CHECKS.append(_check_order)


@dataclass(frozen=True)
class Thresholds:
    a: Decimal
    b: Decimal
    c: Decimal

    @classmethod
    def current(cls) -> "Thresholds":
        values = get_settings("customers.grade_")
        return cls(*(Decimal(values[f"customers.grade_{g}_wan"]) for g in "abc"))


def grade_of(
    thresholds: Thresholds,
    *,
    expected_sales: Decimal | None,
    purchasing_power: str = "",
    potential: str = "",
    frequency: int | None = None,
) -> str:
    if expected_sales is None:
        return ""
    if expected_sales >= thresholds.a:
        step = 0
    elif expected_sales >= thresholds.b:
        step = 1
    elif expected_sales >= thresholds.c:
        step = 2
    else:
        step = 3
    often, rarely = (
        frequency is not None and frequency >= 12,
        frequency is not None and frequency <= 1,
    )
    strong = sum((purchasing_power == "high", potential == "high", often))
    weak = sum((purchasing_power == "low", potential == "low", rarely))
    if strong >= 2:
        step -= 1
    elif weak >= 2:
        step += 1
    return GRADES[min(3, max(0, step))]
