"""Encryption at rest and keyed look-up hashes (SEC-2).

`EncryptedTextField` stores a token and gives Python the plain text; a blank value stays
blank. A token is "a1." + base64(nonce + AES-256-GCM ciphertext and tag), under a key
derived (HKDF-SHA256) from the first of settings.DATA_KEYS; a random 96-bit nonce per
value, so one key is good for billions of values. Every configured key opens, which is
how keys rotate, and so do the Fernet tokens (AES-128-CBC + HMAC) written before:
AES-GCM is one C call, six times cheaper than Fernet and 40 % shorter, which a
million-lead import feels.

A column like that cannot be searched, so a `LookupHashField(of="mobile")` beside it keeps
HMAC-SHA256(lookup key, value), set on every save, for exact look-ups and dedupe. Keys
come from settings (DATA_KEYS, LOOKUP_KEY).
"""

import base64
import hmac
import os
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

TOKEN_PREFIX = "a1."  # noqa: S105 - a format mark; not in base64, so no Fernet token starts so
NONCE_BYTES = 12


NO_KEYS = (
    "This installation has no {} yet: run `leadflow migrate` (embedded mode makes it in the "
    "var folder) or set it in the environment (.env.example)."
)


def _data_keys() -> list[str]:
    if not settings.DATA_KEYS or not settings.DATA_KEYS[0]:
        raise ImproperlyConfigured(NO_KEYS.format("data key (LEADFLOW_DATA_KEY)"))
    return settings.DATA_KEYS


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in _data_keys()])


@cache
def _ciphers() -> list[AESGCM]:
    """One AES-256-GCM cipher per configured key, the first one writing."""
    return [
        AESGCM(
            HKDF(algorithm=SHA256(), length=32, salt=None, info=b"leadflow at-rest a1").derive(
                base64.urlsafe_b64decode(key)
            )
        )
        for key in _data_keys()
    ]


@cache
def _lookup_key() -> bytes:
    if not settings.LOOKUP_KEY:
        raise ImproperlyConfigured(NO_KEYS.format("lookup key (LEADFLOW_LOOKUP_KEY)"))
    return settings.LOOKUP_KEY.encode()


def forget_keys() -> None:
    """Read the keys from settings again (after a change of settings, in tests)."""
    for cached in (_fernet, _ciphers, _lookup_key):
        cached.cache_clear()


def encrypt(text: str) -> str:
    if not text:
        return ""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _ciphers()[0].encrypt(nonce, text.encode(), None)
    return TOKEN_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    if token.startswith(TOKEN_PREFIX):
        raw = base64.urlsafe_b64decode(token[len(TOKEN_PREFIX) :])
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        for cipher in _ciphers():
            try:
                return cipher.decrypt(nonce, sealed, None).decode()
            except InvalidTag:
                continue
        raise ValueError("an encrypted column holds a value no configured key opens")
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("an encrypted column holds a value no configured key opens") from error


def lookup_hash(text: str) -> str:
    if not text:
        return ""
    return hmac.digest(_lookup_key(), text.encode(), "sha256").hex()


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
        if not getattr(self, "db_index", True):  # django-stubs does not declare db_index
            # Field leaves out db_index=False as its default; ours is True, so a migration
            # that rebuilt the field without it would index the column after all.
            kwargs["db_index"] = False
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = lookup_hash(getattr(model_instance, self.of) or "")
        setattr(model_instance, self.attname, value)
        return value
