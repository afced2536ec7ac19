"""Encryption at rest and keyed look-up hashes (SEC-2).

`EncryptedTextField` stores a Fernet token (AES-128-CBC + HMAC) and gives Python the plain
text; a blank value stays blank. A column like that cannot be searched, so a
`LookupHashField(of="mobile")` beside it keeps HMAC-SHA256(lookup key, value), set on every
save, for exact look-ups and dedupe. Keys come from settings (DATA_KEYS, LOOKUP_KEY).
"""

import hashlib
import hmac
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.DATA_KEYS])


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("an encrypted column holds a value no configured key opens") from error


def lookup_hash(text: str) -> str:
    if not text:
        return ""
    key = settings.LOOKUP_KEY.encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Plain text in Python, a Fernet token in the database."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return decrypt(value) if value is not None else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return encrypt(value) if value is not None else value

    def get_lookup(self, lookup_name: str) -> Any:
        # A token differs on every write: comparing one finds nothing, silently. Search the
        # LookupHashField beside it instead.
        if lookup_name != "isnull":
            raise TypeError(f"an encrypted column cannot be searched with {lookup_name!r}")
        return super().get_lookup(lookup_name)


class LookupHashField(models.CharField):
    """The keyed hash of another field of the row, kept by every save."""

    def __init__(self, *args: Any, of: str = "", **kwargs: Any) -> None:
        self.of = of
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["of"] = self.of
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = lookup_hash(getattr(model_instance, self.of) or "")
        setattr(model_instance, self.attname, value)
        return value
