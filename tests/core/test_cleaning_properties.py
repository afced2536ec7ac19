"""Property tests for the normalisers (LEAD-CLN-1, CUS-1): whatever the input, the fast
paths agree with the libraries, the forms people type fold to one value, and a
normalised value normalises to itself."""

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.core.cleaning import CleaningError, company_key, normalize_email, normalize_phone
from leadflow.customers.credit_code import (
    ALPHABET,
    InvalidCreditCode,
    check_character,
    normalize_credit_code,
)

MOBILE_DIGITS = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


def _library_phone(text: str) -> str | None:
    """What phonenumbers alone says: the E.164 of a valid +86 number, else None."""
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=300)
@given(
    MOBILE_DIGITS, st.sampled_from(["{d}", "+86 {a}-{b}-{c}", "0086 {d}", "{a} {b} {c}", "+86{d}"])
)
def test_every_common_form_of_a_mobile_folds_to_one_value(digits, form):
    # SPEC: LEAD-CLN-1 — +86 138-0013-8000, 0086 13800138000, 138 0013 8000 are one number.
    text = form.format(d=digits, a=digits[:3], b=digits[3:7], c=digits[7:])
    expected = _library_phone(digits)
    try:
        phone = normalize_phone(text)
    except CleaningError:
        assert expected is None
    else:
        assert phone.e164 == expected
        assert normalize_phone(phone.e164).e164 == phone.e164


@settings(max_examples=300)
@given(st.text(alphabet="0123456789+-() 　", max_size=20))
def test_the_phone_fast_path_never_disagrees_with_phonenumbers(text):
    # SPEC: LEAD-CLN-1 — one rule on every path; the fast path only spares the library.
    expected = _library_phone(text.strip())
    try:
        phone = normalize_phone(text)
    except CleaningError:
        assert expected is None or phonenumbers.number_type(
            phonenumbers.parse(text.strip(), "CN")
        ) not in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
    else:
        assert phone.e164 == expected


@settings(max_examples=300)
@given(st.emails())
def test_emails_are_lower_cased_and_agree_with_email_validator(address):
    # SPEC: LEAD-CLN-1 — emails lower-cased and syntax-checked (no DNS).
    try:
        expected = validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        expected = None
    try:
        value = normalize_email(address)
    except CleaningError:
        assert expected is None
    else:
        assert value == expected
        assert value == value.lower()
        assert normalize_email(value) == value


FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40))
def test_company_keys_fold_width_brackets_spaces_and_case(name):
    # SPEC: LEAD-CLN-1 — trimming, full-width folding, （）→(), spaces, Latin case.
    key = company_key(name)
    assert company_key(key) == key
    wide = "".join(FULL_WIDTH.get(ch, ch) for ch in name)
    assert company_key(wide) == key
    assert company_key(f"  {name.upper()}\u3000 ") == company_key(name.upper())
    assert "  " not in key


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_any_code_with_its_check_character_is_valid(first17):
    # SPEC: CUS-1 — the checksum, for codes that start with a digit or a letter.
    code = first17 + check_character(first17)
    assert normalize_credit_code(code.lower()) == code


@given(
    st.text(alphabet=ALPHABET, min_size=17, max_size=17),
    st.integers(min_value=0, max_value=17),
    st.sampled_from(ALPHABET),
)
def test_changing_one_character_breaks_the_check(first17, position, replacement):
    # SPEC: CUS-1 — a mistyped character is caught (weights are never 0 mod 31).
    code = first17 + check_character(first17)
    if code[position] == replacement:
        return
    mistyped = code[:position] + replacement + code[position + 1 :]
    try:
        normalize_credit_code(mistyped)
    except InvalidCreditCode:
        return
    raise AssertionError(f"{mistyped} passed although {code} is the valid one")
