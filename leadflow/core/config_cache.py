"""Configuration read on every request (company settings, channels, rules, the user an API
token belongs to), kept per process for a few seconds.

A capture reads the agreement version, the channels, the campaigns and the non-target
rules; at hundreds of captures a second, reading them each time costs more than the
capture. Each process keeps what it read for `LEADFLOW_CONFIG_CACHE_SECONDS` (default
2 s): a change reaches the other processes within that time, and the process that made
it at once, when its transaction commits (`forget_config`). The tests set it to 0.
"""

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction

T = TypeVar("T")
_clock = time.monotonic  # not the wall clock: setting it back must not keep stale values
_VALUES: dict[str, tuple[float, Any]] = {}


MAX_ENTRIES = 1000  # a process that has seen more names starts afresh


def cached_config(name: str, load: Callable[[], T], *, remember_none: bool = True) -> T:
    """`load()`, or what it returned less than the configured seconds ago here.
    `remember_none=False` asks again next time when it returned None (an unknown token)."""
    seconds = settings.LEADFLOW_CONFIG_CACHE_SECONDS
    if seconds <= 0:
        return load()
    now = _clock()
    hit = _VALUES.get(name)
    if hit is not None and now - hit[0] < seconds:
        return hit[1]
    value = load()
    if value is not None or remember_none:
        if len(_VALUES) >= MAX_ENTRIES:
            _VALUES.clear()
        _VALUES[name] = (now, value)
    return value


def forget_config() -> None:
    """Drop what this process keeps, once the current transaction (if any) commits."""
    transaction.on_commit(_VALUES.clear)
