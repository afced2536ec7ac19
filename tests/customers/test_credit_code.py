"""The unified social credit code's own checksum (CUS-1)."""

import pytest

from leadflow.customers.credit_code import (
    InvalidCreditCode,
    check_character,
    normalize_credit_code,
)


@pytest.mark.parametrize(
    "code",
    ["91350100M000100Y43", "91440300708461136T", "91110000802100433B"],
)
def test_published_codes_pass(code):
    # SPEC: CUS-1 — validated checksum.
    assert normalize_credit_code(code) == code


def test_codes_that_start_with_a_letter_pass_and_forms_are_folded():
    # SPEC: CUS-1 — registration authorities A–Y exist; full-width and spaces are folded.
    first17 = "Y1110000MA0000012"
    code = first17 + check_character(first17)
    assert normalize_credit_code(code) == code
    spaced = " ".join(code[i : i + 6] for i in range(0, 18, 6)).lower()
    assert normalize_credit_code(spaced) == code
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert normalize_credit_code(full_width) == code


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("91350100M000100Y4", "有 17 位"),
        ("91350100M000100Y4I", "含有 I"),
        ("91350100M000100Y44", "正确应为 3"),
    ],
)
def test_wrong_codes_say_why(text, reason):
    with pytest.raises(InvalidCreditCode, match=reason):
        normalize_credit_code(text)
