"""Where a capture's time goes (#27 goal 3): POST /api/v1/leads beside GET /api/v1/me,
in this process, through Django's whole request handling (every middleware, the token
check, the view, the response), under cProfile.

    LEADFLOW_VAR_DIR=bench/out/api-run-1000000 .venv/bin/python bench/capture_profile.py [--requests 2000]

Run by `bench/api_capture.py` on its copy of the prepared database (or by hand on any
database: it adds a user and a token of its own). Prints the time per request of each
endpoint without and with the profiler, and for the capture the share of each step of the
request, from the profile's cumulative times: a step's share includes what it calls, and
the steps do not overlap. cProfile adds a cost per Python call, so the steps with many
small calls (cleaning, the middleware) look larger than they are; the shares are for
finding where to look, the times without the profiler are the measurement.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The parts of a capture request, nested as they run: (label, (file ending, function,
# called from or None), its own parts). A part's time is its function's with what it
# calls; what a part spends outside its listed parts is printed as its "own work".
PARTS = (
    "the whole request",
    None,
    [
        (
            "Django's handler and middleware",
            ("django/core/handlers/wsgi.py", "__call__", None),
            [
                (
                    "django-ninja: routing, auth, body, response",
                    ("ninja/operation.py", "sync_view_wrapper", None),
                    [
                        ("token check", ("accounts/tokens.py", "token_user", None), []),
                        ("JSON body parsed", ("leadflow/api.py", "parse_body", None), []),
                        (
                            "the view",
                            ("leads/api.py", "leads_create", None),
                            [
                                ("permission", ("core/permissions.py", "require", None), []),
                                ("response body", ("leads/api.py", "_detail", None), []),
                                (
                                    "lead_capture",
                                    ("leads/capture.py", "lead_capture", None),
                                    [
                                        ("cleaning", ("cleaning.py", "clean_lead", None), []),
                                        ("status", ("cleaning.py", "decide_status", None), []),
                                        ("scoring", ("scoring.py", "score_values", None), []),
                                        ("dedupe keys", ("cleaning.py", "dedupe_keys", None), []),
                                        (
                                            "capture lock",
                                            ("locks.py", "lock_capture_keys", None),
                                            [],
                                        ),
                                        (
                                            "numbering",
                                            ("numbering.py", "reserve_numbers", None),
                                            [],
                                        ),
                                        (
                                            "insert of the lead",
                                            ("core/inserts.py", "insert_new", "lead_capture"),
                                            [],
                                        ),
                                        (
                                            "dedupe look-up",
                                            ("capture.py", "find_duplicates", None),
                                            [],
                                        ),
                                        ("audit entry", ("audit.py", "audit_record", None), []),
                                        (
                                            "assignment task enqueued",
                                            ("django_tasks/base.py", "enqueue", None),
                                            [],
                                        ),
                                        (
                                            "commit",
                                            ("db/backends/base/base.py", "_commit", None),
                                            [],
                                        ),
                                    ],
                                ),
                            ],
                        ),
                    ],
                ),
            ],
        ),
    ],
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadflow.settings")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.utils import timezone

    from leadflow.accounts.models import Role, User
    from leadflow.accounts.tokens import token_create

    user, _ = User.objects.get_or_create(
        username="bench-profile",
        defaults={
            "role": Role.objects.get(code="marketing"),
            "confidentiality_version": "2026-01",
            "confidentiality_accepted_at": timezone.now(),
        },
    )
    token = token_create(user=user, name="profile")[1]
    application = WSGIHandler()  # what gunicorn calls, without the socket
    serial = iter(range(10**9))

    def me() -> None:
        status, body = _call(application, "GET", "/api/v1/me", token)
        assert status == 200, body

    def healthz() -> None:
        status, body = _call(application, "GET", "/healthz", "")
        assert status == 200, body

    def capture() -> None:
        n = next(serial)
        lead = {
            "name": f"剖析客户{os.getpid()}-{n}有限公司",
            "mobile": f"+86 171{os.getpid() % 10_000:04d}{n:04d}",
            "email": f"profile{os.getpid()}-{n}@bench.cn",
            "industry": "制造业",
            "need": "采购设备",
            "channel": "G",
            "consent": {"notice_version": "privacy-2026-01"},
        }
        status, body = _call(application, "POST", "/api/v1/leads", token, json.dumps(lead))
        assert status == 201, body

    requests = {"GET /api/v1/me": me, "GET /healthz": healthz, "POST /api/v1/leads": capture}
    for request in requests.values():  # warm: the first request of each loads what it needs
        for _ in range(20):
            request()
    plain = {name: _per_request(request, args.requests) for name, request in requests.items()}
    profiler = cProfile.Profile()
    profiler.enable()
    profiled_started = time.perf_counter()
    for _ in range(args.requests):
        capture()
    profiled = (time.perf_counter() - profiled_started) / args.requests
    profiler.disable()
    print(
        f"in-process (Django's WSGI handler), {connection.vendor}, {args.requests:,} requests each"
    )
    floor = plain["GET /api/v1/me"]
    for name, seconds in plain.items():
        print(f"{name:<20} {seconds * 1e6:6.0f} µs/request  {seconds / floor:4.1f}× /me")
    print(f"{'(capture, profiled)':<20} {profiled * 1e6:6.0f} µs/request under cProfile")
    print("a capture's time under cProfile, each part with what it calls:")
    stats = pstats.Stats(profiler).stats
    _print_part(PARTS, stats, profiled * args.requests, args.requests, depth=0)


def _print_part(part, stats: dict, total: float, requests: int, *, depth: int) -> float:
    """Print a part, its parts and its own work beyond them; its seconds."""
    label, function, parts = part
    seconds = total if function is None else _cumulative(stats, *function)
    indent = "  " * (depth + 1)
    print(
        f"{indent}{label:<{44 - len(indent)}} {seconds / total:6.1%}  {seconds / requests * 1e6:6.0f} µs"
    )
    if parts:
        inner = sum(_print_part(p, stats, total, requests, depth=depth + 1) for p in parts)
        own = seconds - inner
        print(
            f"{indent}  {'its own work':<{42 - len(indent)}} {own / total:6.1%}  {own / requests * 1e6:6.0f} µs"
        )
    return seconds


def _cumulative(stats: dict, ending: str, name: str, caller: str | None) -> float:
    """Seconds in `name` of the file ending `ending` with what it calls, when called from
    `caller` (anywhere if None). pstats keeps {(file, line, name): (calls, primitive calls,
    own time, cumulative time, {caller: (… the same for that caller)})}."""
    seconds = 0.0
    for (file, _, function), (_, _, _, cumulative, callers) in stats.items():
        if function != name or not file.endswith(ending):
            continue
        if caller is None:
            seconds += cumulative
        else:
            seconds += sum(
                figures[3]
                for (_, _, called_from), figures in callers.items()
                if called_from == caller
            )
    return seconds


def _call(application, method: str, path: str, token: str, body: str = "") -> tuple[int, bytes]:
    """One request through the WSGI application, as a server would make it."""
    data = body.encode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_TYPE": "application/json" if data else "",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    statuses: list[str] = []
    result = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        content = b"".join(result)
    finally:
        result.close()  # request_finished, as a server sends it
    return int(statuses[0][:3]), content


def _per_request(request, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        request()
    return (time.perf_counter() - started) / count


if __name__ == "__main__":
    main()
