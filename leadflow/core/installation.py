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
    """Make the var and static folders and every missing key file; the files made. The
    running process's settings take the keys at once."""
    from django.conf import settings

    from leadflow.core.crypto import forget_keys

    var_dir = Path(settings.VAR_DIR)
    var_dir.mkdir(parents=True, exist_ok=True)
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    made = []
    for variable, file_name, make in KEYS.values():
        key_file = var_dir / file_name
        if os.environ.get(variable) or key_file.exists():
            continue
        # Written whole under a temporary name, readable by this user only, then linked
        # into place: a second process making the same key at once keeps the first one.
        partial = var_dir / f".{file_name}.{os.getpid()}"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(make())
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(partial, key_file)
            made.append(file_name)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    settings.SECRET_KEY = installed_key(var_dir, "SECRET_KEY")
    settings.DATA_KEYS = [installed_key(var_dir, "DATA_KEY"), *settings.DATA_KEYS[1:]]
    settings.LOOKUP_KEY = installed_key(var_dir, "LOOKUP_KEY")
    forget_keys()
    return made
