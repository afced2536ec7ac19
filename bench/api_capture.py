"""Benchmark: POST /api/v1/leads and /healthz under load beside the cheapest
authenticated endpoint, 2 gunicorn workers, SQLite, leads present (#27 goals 3 and 4).

    apt-get install wrk        # the loopback load generator (Debian package)
    .venv/bin/python bench/api_capture.py [--leads 1000000] [--seconds 20] [--connections 8]

Prepares a SQLite database under bench/out/ with N leads (imported once from the
import benchmark's file and kept), and copies it for each run, so every run starts from
the same database: no leads, queued tasks or audit entries left by earlier runs. Adds a
marketing user and an API token to the copy; starts `leadflow web --workers 2` on a
loopback port; drives it with wrk in turn with GET /api/v1/me (the floor: the cheapest
authenticated request, through the same middleware and token check), POST /api/v1/leads
(every request a new lead, distinct mobile and email), GET /healthz and GET
/healthz?deep=1; prints requests/s and latency percentiles of each and its ratio to the
floor. Goals: capture ≥ 50 % of the floor's requests/s with p99 ≤ 2× the floor's;
/healthz ≥ the floor's requests/s. Then, with --profile N (2,000 by default), where a
capture's time goes: `bench/capture_profile.py` on the same database, in-process.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

LUA = r"""
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = 0
end
request = function()
  counter = counter + 1
  local n = tid * 100000 + counter
  local body = string.format('{"name":"压测客户RUN%06d有限公司","mobile":"+86 RUN%06d","email":"loadRUN%06d@bench.cn",' ..
    '"industry":"制造业","need":"采购设备","channel":"G","consent":{"notice_version":"privacy-2026-01"}}', n, n, n)
  return wrk.format("POST", "/api/v1/leads", nil, body)
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


LEADFLOW = [sys.executable, "-m", "leadflow.cli"]


def prepare(var: Path, leads: int, env: dict[str, str]) -> None:
    """The database with `leads` leads in `var` (LEADFLOW_VAR_DIR in `env`), made once."""
    ready = var / f"ready-{leads}"
    if not ready.exists():
        shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True)
        subprocess.run([*LEADFLOW, "migrate", "-v0"], env=env, check=True, cwd=ROOT)  # noqa: S603
        if leads:
            source = OUT / f"leads-{leads}.csv"
            if not source.exists():
                subprocess.run(
                    [sys.executable, "bench/import_leads.py", "--rows", str(leads)],  # noqa: S603
                    cwd=ROOT,
                    check=True,
                )
            subprocess.run(
                [*LEADFLOW, "import", "leads", str(source), "--basis", "benchmark"],  # noqa: S603
                env=env,
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
        ready.touch()


def fresh_copy(prepared: Path, var: Path, env: dict[str, str]) -> str:
    """A copy of the prepared database in `var` (LEADFLOW_VAR_DIR in `env`), migrated to
    this checkout, and a token for a marketing user in it."""
    shutil.rmtree(var, ignore_errors=True)
    shutil.copytree(prepared, var)
    os.sync()  # the copy on disk before the load starts, not written back during it
    subprocess.run([*LEADFLOW, "migrate", "-v0"], env=env, check=True, cwd=ROOT)  # noqa: S603
    script = (
        "from leadflow.accounts.models import Role, User\n"
        "from leadflow.accounts.tokens import token_create\n"
        "from django.utils import timezone\n"
        "user, _ = User.objects.get_or_create(username='bench', defaults={'role': Role.objects.get(code='marketing'),"
        " 'confidentiality_version': '2026-01', 'confidentiality_accepted_at': timezone.now()})\n"
        "print(token_create(user=user, name='bench')[1])\n"
    )
    result = subprocess.run(
        [*LEADFLOW, "shell", "-c", script],
        env=env,
        check=True,
        cwd=ROOT,  # noqa: S603
        capture_output=True,
        text=True,
    )
    return result.stdout.strip().splitlines()[-1]


# A valid mobile prefix the import benchmark's file never uses: every request a new lead.
RUN_PREFIX = "17000"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--profile", type=int, default=2_000, help="captures profiled in-process after (0: none)"
    )
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("wrk is needed: apt-get install wrk")
    prepared = OUT / f"api-var-{args.leads}"
    var = OUT / f"api-run-{args.leads}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "leadflow.settings"}
    env.pop("DATABASE_URL", None)
    prepare(prepared, args.leads, {**env, "LEADFLOW_VAR_DIR": str(prepared)})
    env["LEADFLOW_VAR_DIR"] = str(var)
    token = fresh_copy(prepared, var, env)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "leadflow.cli",
            "web",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        env={**env, "LOG_LEVEL": "WARNING"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA.replace("RUN", RUN_PREFIX))
        base = f"http://127.0.0.1:{port}"
        auth = ["-H", f"Authorization: Bearer {token}"]
        runs = {
            "GET /api/v1/me": [*auth, f"{base}/api/v1/me"],
            "POST /api/v1/leads": [
                *auth,
                "-H",
                "Content-Type: application/json",
                "-s",
                script.name,
                base,
            ],
            "GET /healthz": [f"{base}/healthz"],
            "GET /healthz?deep=1": [f"{base}/healthz?deep=1"],
        }
        # Warm first: each gunicorn worker imports its views and loads the translations at
        # its first routed request (/healthz, which the readiness poll asks, is answered
        # ahead of the URLs), which would land in the floor's p99.
        _load(wrk, args.connections, 3, runs["GET /api/v1/me"])
        results = {
            name: _load(wrk, args.connections, args.seconds, target)
            for name, target in runs.items()
        }
    finally:
        server.terminate()
        server.wait(timeout=15)
    print(
        f"leads present     {args.leads:,} (SQLite, 2 gunicorn workers, {args.connections} connections)"
    )
    rate_floor, p99_floor = results["GET /api/v1/me"][:2]
    print(
        f"{'request':<22} {'req/s':>7} {'of floor':>9} {'p50':>8} {'p99':>8} {'p99 ×':>6}  non-2xx"
    )
    for name, (rate, p99, p50, errors) in results.items():
        print(
            f"{name:<22} {rate:>7,.0f} {rate / rate_floor:>8.0%} {p50 * 1000:>6.1f}ms "
            f"{p99 * 1000:>6.1f}ms {p99 / p99_floor:>5.1f}×  {errors}"
        )
    if args.profile:
        sys.stdout.flush()
        subprocess.run(  # noqa: S603
            [sys.executable, "bench/capture_profile.py", "--requests", str(args.profile)],
            env=env,
            cwd=ROOT,
            check=True,
        )


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def _load(wrk: str, connections: int, seconds: int, target: list[str]):
    """(requests/s, p99 s, p50 s, non-2xx) of one wrk run."""
    result = subprocess.run(  # noqa: S603
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *target],
        capture_output=True,
        text=True,
        check=True,
    )
    output = result.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return (
        rate,
        _seconds(percentiles["99"]),
        _seconds(percentiles["50"]),
        int(errors.group(1)) if errors else 0,
    )


if __name__ == "__main__":
    main()
