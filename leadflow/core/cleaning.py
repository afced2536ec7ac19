"""Cleaning (LEAD-CLN-1): validate and normalise phones, emails and names, the same way on
every path (UI, API, web form, import) and in every area (leads, customers).

Pure functions, no database. Phones and emails have a fast path for the common forms
that only ever says "valid", built from the libraries' own rules (phonenumbers' CN mobile
pattern, email-validator's special-use domains); every other input, and every invalid
one, is decided by phonenumbers / email-validator themselves. So the fast path cannot
disagree with the libraries, it only spares them the easy million.
"""

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from django.utils.translation import gettext
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from phonenumbers import PhoneMetadata, PhoneNumberType


def _cn_mobile_pattern() -> str:
    metadata = PhoneMetadata.metadata_for_region("CN")
    if metadata is None or metadata.mobile is None or not metadata.mobile.national_number_pattern:
        raise RuntimeError("this phonenumbers release has no mainland mobile pattern")
    return metadata.mobile.national_number_pattern


CN_MOBILE = re.compile(_cn_mobile_pattern())
# Spaces, dashes, dots and brackets people type between digit groups.
_SEPARATORS = str.maketrans("", "", " -.()\u3000\t")
_FAST_MOBILE = re.compile(r"(?:\+86|0086)?(1[3-9][0-9]{9})")
_FAST_EMAIL = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,24})"
)
_SPECIAL_DOMAINS = frozenset(SPECIAL_USE_DOMAIN_NAMES)


class CleaningError(ValueError):
    """A present field holds a value that cannot be accepted."""

    def __init__(self, field: str, value: object, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field, self.value, self.reason = field, value, reason


@dataclass(frozen=True)
class Phone:
    kind: str  # "mobile" | "landline"
    e164: str


def normalize_phone(raw: str, field: str = "mobile") -> Phone:
    """A mainland mobile or landline in E.164; CleaningError otherwise."""
    text = raw.strip()
    fast = _FAST_MOBILE.fullmatch(text.translate(_SEPARATORS))
    if fast and CN_MOBILE.fullmatch(fast.group(1)):
        return Phone("mobile", "+86" + fast.group(1))
    if any(character.isalpha() for character in text):
        # phonenumbers reads letters as keypad digits (1-800-FLOWERS): nobody means that here
        raise CleaningError(field, raw, gettext("not a phone number: it holds letters"))
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as error:
        raise CleaningError(field, raw, gettext("not a phone number")) from error
    if number.country_code != 86:
        raise CleaningError(field, raw, gettext("not a mainland China number (+86)"))
    if not phonenumbers.is_valid_number(number):
        raise CleaningError(field, raw, gettext("not a valid mainland mobile or landline number"))
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.MOBILE:
        return Phone("mobile", e164)
    if kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return Phone("landline", e164)
    raise CleaningError(field, raw, gettext("a service number, not a person's mobile or landline"))


def normalize_email(raw: str) -> str:
    """The address lower-cased; CleaningError with email-validator's reason otherwise."""
    text = raw.strip().lower()
    fast = _FAST_EMAIL.fullmatch(text)
    # IDNA forbids "--" in the 3rd-4th place of a label; leave any "--" to the library.
    if fast and fast.group(1) not in _SPECIAL_DOMAINS and len(text) <= 254 and "--" not in text:
        local = text.split("@", 1)[0]
        if len(local) <= 64:
            return text
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise CleaningError("email", raw, gettext("not a valid email address")) from error


def normalize_name(raw: str) -> str:
    """The name as shown: trimmed, full-width letters, digits and brackets folded
    （）→(), runs of spaces collapsed. Case is kept."""
    return " ".join(unicodedata.normalize("NFKC", raw).split())


def company_key(raw: str) -> str:
    """The key that makes two spellings of one company the same (LEAD-CLN-2): the shown
    name with Latin letters case-folded."""
    return normalize_name(raw).casefold()


# Words that say a customer name is an organisation, not a person.
_COMPANY_MARKERS = (
    "公司",
    "集团",
    "有限",
    "股份",
    "企业",
    "工厂",
    "厂",
    "中心",
    "研究院",
    "研究所",
    "学院",
    "大学",
    "学校",
    "医院",
    "银行",
    "事务所",
    "协会",
    "商行",
    "店",
    "馆",
    "局",
    "委员会",
    "科技",
    "贸易",
    "实业",
    "控股",
    "ltd",
    "inc",
    "llc",
    "corp",
    "co.",
    "gmbh",
    "company",
    "group",
    "limited",
)


_COMPANY_WORD = re.compile("|".join(re.escape(marker) for marker in _COMPANY_MARKERS))


def guess_kind(name: str) -> str:
    """'company' when the name carries an organisation word, else 'individual'."""
    return "company" if _COMPANY_WORD.search(name.casefold()) else "individual"
