"""An embedded installation's own keys, kept beside its database in the var folder.

Settings only read them (`installed_key`): importing settings writes nothing. They are
made on first `leadflow migrate` (which `leadflow serve` and `make run` call) by
`installation_prepare`, which also makes the var and static folders. Back the key
files up with the database: without data.key the encrypted columns cannot be read.
A key given in the environment always wins, and then no file is made for it.
"""

import os
from base64 import urlsafe_b64encode
from collections.abc import Callable
from pathlib import Path
from secrets import token_bytes, token_urlsafe

from django.core.exceptions import ImproperlyConfigured

# setting name → (environment variable, file in the var folder, how a new one is made)
KEYS: dict[str, tuple[str, str, Callable[[], str]]] = {
    "SECRET_KEY": ("SECRET_KEY", "secret.key", lambda: token_urlsafe(50)),
    # A Fernet-format key (32 random bytes, urlsafe base64): older tokens still decrypt.
    "DATA_KEY": (
        "LEADFLOW_DATA_KEY",
        "data.key",
        lambda: urlsafe_b64encode(token_bytes(32)).decode(),
    ),
    "LOOKUP_KEY": ("LEADFLOW_LOOKUP_KEY", "lookup.key", lambda: token_urlsafe(32)),
}


def installed_key(var_dir: Path, name: str) -> str:
    """The key from the environment, or the installation's file, or "" before the first
    migrate made it."""
    variable, file_name, _ = KEYS[name]
    if value := os.environ.get(variable, ""):
        return value
    try:
        return (var_dir / file_name).read_text().strip()
    except FileNotFoundError:
        return ""


def installation_prepare() -> list[str]:
    """Make the var and static folders and every key the settings lack (none from the
    environment, no file yet); the files made. The running process's settings take the
    new keys at once. A key the settings already hold (the environment's, a file's, the
    test settings' fixed ones) is kept."""
    from django.conf import settings

    from leadflow.core.crypto import forget_keys

    var_dir = Path(settings.VAR_DIR)
    var_dir.mkdir(parents=True, exist_ok=True)
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    held = {
        "SECRET_KEY": _setting_or_empty(settings, "SECRET_KEY"),
        "DATA_KEY": settings.DATA_KEYS[0] if settings.DATA_KEYS else "",
        "LOOKUP_KEY": settings.LOOKUP_KEY,
    }
    made = []
    for name, (_, file_name, make) in KEYS.items():
        held[name] = held[name] or installed_key(var_dir, name)  # environment, or a file
        if not held[name]:
            if _link_new_key(var_dir, file_name, make()):
                made.append(file_name)
            held[name] = installed_key(var_dir, name)
    settings.SECRET_KEY = held["SECRET_KEY"]
    settings.DATA_KEYS = [held["DATA_KEY"], *settings.DATA_KEYS[1:]]
    settings.LOOKUP_KEY = held["LOOKUP_KEY"]
    forget_keys()
    return made


def _setting_or_empty(settings, name: str) -> str:
    try:
        return getattr(settings, name)
    except ImproperlyConfigured:  # Django refuses to hand out an empty SECRET_KEY
        return ""


def _link_new_key(var_dir: Path, file_name: str, key: str) -> bool:
    """Write the key whole under a temporary name, readable by this user only, then link
    it into place; False when another process made the file first (theirs is kept)."""
    partial = var_dir / f".{file_name}.{os.getpid()}"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(partial, var_dir / file_name)
        return True
    except FileExistsError:
        return False
    finally:
        partial.unlink()
