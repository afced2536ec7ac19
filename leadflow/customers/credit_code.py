"""The unified social credit code (统一社会信用代码, GB 32100-2015), checked by its own rule.

18 characters from 0-9 and A-Y without I, O, S, V, Z; the 18th is a check character:
(31 − Σ value(c_i) × 3^(i−1) mod 31) mod 31 over the first 17. python-stdnum refuses valid
codes that start with a letter, so the rule is written here.
"""

import unicodedata

from django.utils.translation import gettext

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {char: value for value, char in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]


class InvalidCreditCode(ValueError):
    """The reason a text is not a credit code, in words a user can act on."""


def check_character(first17: str) -> str:
    total = sum(VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(text: str) -> str:
    """The code in upper case without spaces or dashes, full-width folded; or
    InvalidCreditCode saying what is wrong."""
    code = unicodedata.normalize("NFKC", text).upper().replace(" ", "").replace("-", "")
    if len(code) != 18:
        raise InvalidCreditCode(
            gettext("has %(count)s characters, a credit code has 18") % {"count": len(code)}
        )
    wrong = sorted({char for char in code if char not in VALUES})
    if wrong:
        raise InvalidCreditCode(
            gettext("contains %(characters)s, not used in credit codes")
            % {"characters": "".join(wrong)}
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidCreditCode(
            gettext("check character is %(found)s, the code needs %(expected)s")
            % {"found": code[17], "expected": expected}
        )
    return code
