"""How numbers read on screen: money as ¥1,500,000.00 or 150.00 万 (a company setting),
mobile phones in groups (138 0013 8000), rates with one decimal. Exports keep the plain
figures, so a spreadsheet can still add them up."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from .company_settings import define, get_setting

MONEY_UNIT = define(
    "display.money_unit",
    "yuan",
    "choice",
    _("Money shown in"),
    _("Display"),
    choices=(("yuan", _("yuan: ¥1,500,000.00")), ("wan", _("ten thousands: 150.00 万"))),
)
CENTS = Decimal("0.01")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money(value: Any, unit: str | None = None) -> str:
    """¥1,500,000.00, or 150.00 万 when the company counts in ten thousands; "—" for none."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    if (unit or get_setting(MONEY_UNIT.key)) == "wan":
        return f"{(amount / 10000).quantize(CENTS, ROUND_HALF_UP):,} 万"
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount).quantize(CENTS, ROUND_HALF_UP):,}"


def phone(value: Any) -> str:
    """A mainland mobile as 138 0013 8000 (with or without +86); anything else as given."""
    text = str(value or "")
    digits = text.removeprefix("+86").replace(" ", "").replace("-", "")
    if len(digits) == 11 and digits.isdigit() and digits.startswith("1"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return text


def percent(value: Any, *, ratio: bool = False) -> str:
    """12.3 % from 12.345 (or from 0.12345 when `ratio`); "—" for none."""
    number = _decimal(value)
    if number is None:
        return "—"
    if ratio:
        number *= 100
    return f"{number.quantize(Decimal('0.1'), ROUND_HALF_UP)} %"
