"""An embedded installation's keys (SEC-2, #18): settings only read them; the first
`leadflow migrate` makes them, readable by their owner only, and never replaces one."""

import os
import stat
import subprocess
import sys

from leadflow.core import crypto
from leadflow.core.installation import installation_prepare


def test_importing_settings_writes_nothing(tmp_path):
    var_dir = tmp_path / "var"
    env = {
        **os.environ,
        "LEADFLOW_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "leadflow.settings",
    }
    for name in ("SECRET_KEY", "LEADFLOW_DATA_KEY", "LEADFLOW_LOOKUP_KEY", "DATABASE_URL"):
        env.pop(name, None)
    shown = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from django.conf import settings; print(settings.DATA_KEYS)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == "['']"
    assert not var_dir.exists()


def test_migrate_makes_the_missing_keys_once_and_keeps_them(tmp_path, settings, monkeypatch):
    for name in ("SECRET_KEY", "LEADFLOW_DATA_KEY", "LEADFLOW_LOOKUP_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEADFLOW_LOOKUP_KEY", "given-by-the-environment")
    settings.VAR_DIR = tmp_path / "var"
    settings.STATIC_ROOT = tmp_path / "var" / "static"
    settings.SECRET_KEY, settings.DATA_KEYS, settings.LOOKUP_KEY = "", [""], ""  # a new install
    try:
        assert installation_prepare() == ["secret.key", "data.key"]
        data_key = (settings.VAR_DIR / "data.key").read_text()
        assert stat.S_IMODE((settings.VAR_DIR / "data.key").stat().st_mode) == 0o600
        assert settings.DATA_KEYS[0] == data_key
        assert settings.LOOKUP_KEY == "given-by-the-environment"
        assert crypto.decrypt(crypto.encrypt("13800138000")) == "13800138000"
        assert installation_prepare() == []  # a second migrate keeps every key
        assert (settings.VAR_DIR / "data.key").read_text() == data_key
        assert settings.STATIC_ROOT.is_dir()
    finally:
        crypto.forget_keys()  # the settings fixture restores the keys; forget these


def test_a_key_the_settings_hold_is_kept_and_no_file_made(tmp_path, settings):
    settings.VAR_DIR = tmp_path / "var"
    settings.STATIC_ROOT = tmp_path / "var" / "static"
    held = settings.DATA_KEYS[0]
    try:
        assert installation_prepare() == []
        assert settings.DATA_KEYS[0] == held
        assert sorted(path.name for path in settings.VAR_DIR.iterdir()) == ["static"]
    finally:
        crypto.forget_keys()
