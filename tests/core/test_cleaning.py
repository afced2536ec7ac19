"""Cleaning agrees with phonenumbers and email-validator on every input (LEAD-CLN-1)."""

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from leadflow.core.cleaning import (
    CleaningError,
    company_key,
    guess_kind,
    normalize_email,
    normalize_name,
    normalize_phone,
)


def library_phone(raw: str):
    """What phonenumbers alone says: ('mobile'|'landline', e164) or None."""
    try:
        number = phonenumbers.parse(raw.strip(), "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    kind = phonenumbers.number_type(number)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return ("mobile", e164)
    if kind in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        return ("landline", e164)
    return None


def ours_phone(raw: str):
    try:
        phone = normalize_phone(raw)
    except CleaningError:
        return None
    return (phone.kind, phone.e164)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 138-0013-8000", ("mobile", "+8613800138000")),
        ("0086 13800138000", ("mobile", "+8613800138000")),
        ("138 0013 8000", ("mobile", "+8613800138000")),
        ("86 13800138000", ("mobile", "+8613800138000")),
        ("１３８００１３８０００", ("mobile", "+8613800138000")),
        ("010-12345678", ("landline", "+861012345678")),
        ("(021) 6123 4567", ("landline", "+862161234567")),
    ],
)
def test_common_forms(raw, expected):
    # SPEC: LEAD-CLN-1
    assert ours_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12345678901", "不是有效的中国大陆手机或座机号码"),
        ("+1 415 555 0100", "不是中国大陆号码（+86）"),
        ("call me", "不是电话号码"),
    ],
)
def test_invalid_phones_say_why(raw, reason):
    # SPEC: LEAD-CLN-1 — the field and the reason, never silently dropped.
    with pytest.raises(CleaningError) as refused:
        normalize_phone(raw)
    assert refused.value.field == "mobile"
    assert refused.value.reason.startswith(reason)


def test_every_mobile_prefix_agrees_with_phonenumbers():
    # SPEC: LEAD-CLN-1 — all 1000 prefixes 100–199 with two suffixes, in three spellings.
    for prefix in range(1000, 2000):
        for suffix in ("0000000", "9876543"):
            national = f"{prefix}{suffix}"
            for raw in (
                national,
                f"+86 {national[:3]}-{national[3:7]}-{national[7:]}",
                f"0086{national}",
            ):
                assert ours_phone(raw) == library_phone(raw), raw


digits = st.text(alphabet="0123456789", min_size=5, max_size=13)
spelled = st.builds(
    lambda prefix, body, sep: prefix + sep.join([body[:3], body[3:7], body[7:]]),
    st.sampled_from(["", "+86", "+86 ", "0086", "0086 ", "86", "0", "+1 ", "+", "00"]),
    digits,
    st.sampled_from(["", " ", "-", ".", "  "]),
)


@settings(max_examples=3000, deadline=None)
@given(spelled)
@example("+86 138-0013-8000")
@example("+8617400123456")
def test_phone_agrees_with_phonenumbers(raw):
    # SPEC: LEAD-CLN-1
    assert ours_phone(raw) == library_phone(raw)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=20))
def test_phone_never_crashes_on_any_text(raw):
    assert ours_phone(raw) == library_phone(raw)


def library_email(raw: str):
    try:
        return validate_email(raw.strip().lower(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def ours_email(raw: str):
    try:
        return normalize_email(raw)
    except CleaningError:
        return None


local = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-!#&'",
    min_size=0,
    max_size=20,
)
label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=0, max_size=12)
tld = st.sampled_from(
    [
        "com",
        "cn",
        "COM",
        "com.cn",
        "test",
        "local",
        "arpa",
        "x",
        "123",
        "中国",
        "museum",
        "onion",
        "",
    ]
)
emails = st.builds(
    lambda lp, d, t, sp: f"{sp}{lp}@{d}.{t}{sp}", local, label, tld, st.sampled_from(["", " "])
)


@settings(max_examples=3000, deadline=None)
@given(emails)
@example("Zhang.San@Example.COM")
@example("a..b@example.com")
@example("ab--cd@xn--fiqs8s.cn")
@example("x@ab--cd.com")
def test_email_agrees_with_email_validator(raw):
    # SPEC: LEAD-CLN-1 — lower-cased, syntax only (no DNS).
    assert ours_email(raw) == library_email(raw)


def test_email_is_lower_cased_and_reasons_are_kept():
    assert normalize_email(" Zhang.San@Example.COM ") == "zhang.san@example.com"
    with pytest.raises(CleaningError) as refused:
        normalize_email("zhang@@example.com")
    assert refused.value.field == "email"
    assert refused.value.reason


@pytest.mark.parametrize(
    ("raw", "shown", "key"),
    [
        (
            "  上海某某科技（集团）有限公司 ",
            "上海某某科技(集团)有限公司",
            "上海某某科技(集团)有限公司",
        ),
        ("ＡＢＣ　Trading   Co.,Ltd", "ABC Trading Co.,Ltd", "abc trading co.,ltd"),
        ("abc trading CO.,LTD", "abc trading CO.,LTD", "abc trading co.,ltd"),
    ],
)
def test_company_names_fold(raw, shown, key):
    # SPEC: LEAD-CLN-2 — trim, full-width and brackets folded, spaces collapsed, Latin case-folded.
    assert normalize_name(raw) == shown
    assert company_key(raw) == key


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_company_key_is_idempotent(raw):
    assert company_key(company_key(raw)) == company_key(raw)
    assert company_key(raw.upper()) == company_key(raw.lower()) or not raw.isascii()


def test_kind_is_guessed_from_the_name():
    assert guess_kind("上海某某科技有限公司") == "company"
    assert guess_kind("ACME Trading Ltd") == "company"
    assert guess_kind("王小明") == "individual"
