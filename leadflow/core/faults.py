"""Named points where the fault tests kill this process (tests/faults): the real crash
of a real process at a known moment, instead of a mock. Nothing happens unless the
process was started with LEADFLOW_KILL_AT naming the point (and, optionally,
LEADFLOW_KILL_AFTER=N to pass it N times first)."""

import os
import signal

_KILL_AT = os.environ.get("LEADFLOW_KILL_AT", "")
_passes = {"left": int(os.environ.get("LEADFLOW_KILL_AFTER", "0") or 0)}


def fault_point(name: str) -> None:
    if not _KILL_AT or name != _KILL_AT:
        return
    if _passes["left"] > 0:
        _passes["left"] -= 1
        return
    os.kill(os.getpid(), signal.SIGKILL)
