"""Benchmark: import a realistic 1,000,000-row lead file with every rule on.

    .venv/bin/python bench/import_leads.py [--rows 1000000] [--small 2000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_leads.py

Generates (once, cached under bench/out/) a CSV with Chinese names, companies and
regions, 5% duplicates of earlier rows written differently (+86 / 0086 / spaces, upper-case
emails, full-width brackets) and 2% invalid rows. Then, in a fresh database:
  1. `leadflow import leads FILE --json` in a child process: wall time, CPU time (all its
     processes: steadier than wall time on a shared two-core machine) and peak memory,
  2. the floor: a raw executemany of the same rows into a table with three indexes, with
     SQLite's default page cache (as the issue measured it) and with the import's own,
  3. what encrypting the file's personal data costs alone (SEC-2): an AES-256-GCM token
     for each mobile, email and address and a keyed hash for each mobile and email, in
     this process, as CPU time and as a share of the import's CPU.
  4. on PostgreSQL, the COPY floor (#27 goal 1): the lead rows the import stored, COPYed
     into a bare table of the same columns, then the primary key and every index of the
     lead table built on it; the import's ratio to it (goal ≤ 2×),
  5. with --small N (2,000 by default): a trade-show list of N new rows imported into the
     database the big import filled, and into an empty one: the two times, their ratio
     (#27 goal 6: ≤ 1.5×, a small import costs the file, not the table) and peak memory.
Prints rows/s and the ratio to each floor. Targets (#27): ≤ 2× the floor of the same run
(executemany on SQLite, COPY + index build on PostgreSQL), ≤ 1 GB peak memory.
"""

import argparse
import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from scratch_db import fresh_postgres

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
IMPORT_CACHE_KIB = 131_072  # leads.bulk.sql.IMPORT_PRAGMAS["cache_size"], in KiB

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬建国建华志强海燕晓东丹婷宇浩然子轩梓涵欣怡俊杰佳怡"
REGIONS = [
    ("上海市", "浦东新区"),
    ("上海市", "闵行区"),
    ("北京市", "朝阳区"),
    ("北京市", "海淀区"),
    ("广东省", "广州市"),
    ("广东省", "深圳市"),
    ("广东省", "东莞市"),
    ("浙江省", "杭州市"),
    ("浙江省", "宁波市"),
    ("江苏省", "南京市"),
    ("江苏省", "苏州市"),
    ("江苏省", "无锡市"),
    ("山东省", "济南市"),
    ("山东省", "青岛市"),
    ("四川省", "成都市"),
    ("湖北省", "武汉市"),
    ("湖南省", "长沙市"),
    ("福建省", "厦门市"),
    ("河南省", "郑州市"),
    ("陕西省", "西安市"),
    ("天津市", "滨海新区"),
    ("重庆市", "渝北区"),
    ("安徽省", "合肥市"),
    ("辽宁省", "大连市"),
]
NAME_CHARS = (
    "华盛恒达鑫源瑞丰宏图博远金诚永泰中信天成新锐卓越东方远航嘉禾众合汇通启明星辰云海"
    "安邦昌德飞腾光辉海纳佳宁锦绣凯旋利民美琪宁远鹏程奇峰荣盛润泽顺发泰和万通祥和兴隆"
    "亚伦逸飞永兴长青正大至诚中联宇宙振华智汇卓航百川宝丰碧海晨曦鼎盛丰华富强冠宇"
)
TRADES = [
    "科技",
    "贸易",
    "实业",
    "机械",
    "电子",
    "信息技术",
    "新材料",
    "医疗器械",
    "智能装备",
    "物流",
    "建材",
    "食品",
]
SUFFIXES = ["有限公司", "股份有限公司", "（集团）有限公司", "有限责任公司"]
INDUSTRIES = [
    "制造业",
    "零售",
    "医疗",
    "教育",
    "金融",
    "物流",
    "能源",
    "建筑",
    "互联网",
    "餐饮",
    "汽车",
    "化工",
]
NEEDS = [
    "采购设备",
    "寻求解决方案",
    "了解报价",
    "更换供应商",
    "产品试用",
    "技术咨询",
    "批量采购",
    "售后服务升级",
]
CHANNELS = [
    ("G", "官网-产品页"),
    ("S", "百度推广"),
    ("M", "微信公众号"),
    ("E", "邮件营销-月刊"),
    ("P", "行业平台-慧聪"),
    ("Z", "展会-2026年行业展"),
    ("H", "研讨会-春季"),
    ("T", "客户推荐-老客户王"),
    ("R", "合作伙伴转介绍"),
    ("D", "电话营销"),
    ("B", "陌生拜访"),
    ("A", "市场活动-沙龙"),
]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "195",
    "198",
    "199",
]
DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "aliyun.com", "outlook.com"]
HEADER = [
    "客户名称",
    "联系人",
    "职位",
    "手机",
    "邮箱",
    "行业",
    "需求",
    "渠道",
    "渠道明细",
    "获取时间",
    "地区",
    "员工人数",
    "预算",
]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def generate(path: Path, rows: int, seed: int = 20261123) -> None:
    rng = random.Random(seed)
    kept: list[list[str]] = []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for index in range(rows):
            roll = rng.random()
            if roll < 0.05 and kept:
                writer.writerow(_duplicate(rng, rng.choice(kept)))
                continue
            province, city = rng.choice(REGIONS)
            # Three name characters from a wide pool keep accidental namesakes below 1%,
            # so the duplicates are the 5% written on purpose.
            company = (
                city.rstrip("市区")
                + "".join(rng.sample(NAME_CHARS, 3))
                + rng.choice(TRADES)
                + rng.choice(SUFFIXES)
            )
            contact = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
            mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            email = (
                "".join(rng.choices(LETTERS, k=rng.randint(4, 9)))
                + f"{index}@"
                + rng.choice(DOMAINS)
            )
            channel, detail = rng.choice(CHANNELS)
            moment = f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d} {rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}"
            row = [
                company,
                contact,
                rng.choice(["采购经理", "总经理", "IT主管", "行政", ""]),
                mobile,
                email,
                rng.choice(INDUSTRIES),
                rng.choice(NEEDS),
                channel,
                detail,
                moment,
                f"{province}{city}",
                str(rng.choice([20, 50, 120, 300, 600, 1500, 5000])),
                rng.choice(["10万以下", "10-50万", "50-100万", "100万以上", ""]),
            ]
            if roll < 0.07:
                _spoil(rng, row)
            elif len(kept) < 200_000:
                kept.append(row)
            writer.writerow(row)


def _duplicate(rng: random.Random, row: list[str]) -> list[str]:
    copy = list(row)
    mobile = copy[3]
    copy[3] = rng.choice(
        [
            f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
            f"0086 {mobile}",
            f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
            mobile,
        ]
    )
    copy[4] = rng.choice([copy[4].upper(), copy[4], ""])
    copy[0] = copy[0].replace("(", "（").replace(")", "）") + rng.choice(["", " "])
    copy[6] = rng.choice(NEEDS)
    return copy


def _spoil(rng: random.Random, row: list[str]) -> None:
    kind = rng.randrange(3)
    if kind == 0:
        row[3] = "1" + str(rng.randrange(10**6))
    elif kind == 1:
        row[4] = row[4].replace("@", "@@")
    else:
        row[5] = ""


def floor_seconds(path: Path, cache_kib: int = 0) -> float:
    """A raw executemany of the same rows into SQLite with three indexes: the physical floor.
    With `cache_kib`, SQLite's page cache is as large as the import's own."""
    with tempfile.TemporaryDirectory() as folder:
        db = sqlite3.connect(Path(folder) / "floor.sqlite3")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        if cache_kib:
            db.execute(f"PRAGMA cache_size=-{cache_kib}")
        columns = ", ".join(f"c{i} TEXT" for i in range(len(HEADER)))
        db.execute(f"CREATE TABLE t (id INTEGER PRIMARY KEY, {columns})")
        for column in (3, 4, 0):
            db.execute(f"CREATE INDEX t_{column} ON t (c{column})")
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))[1:]
        placeholders = ", ".join("?" * len(HEADER))
        started = time.perf_counter()
        with db:
            db.executemany(f"INSERT INTO t VALUES (NULL, {placeholders})", rows)  # noqa: S608
        seconds = time.perf_counter() - started
        db.close()
    return seconds


def copy_floor_seconds(url: str) -> tuple[float, float, int]:
    """The PostgreSQL floor (#27 goal 1): the lead rows the import stored, copied out and
    COPYed into a bare table of the same columns, then that table's primary key and every
    index the lead table has built on it, committed. (seconds of COPY, seconds of the index
    builds, rows). Read after the import, in its database."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db, tempfile.TemporaryFile() as dump:
        with db.cursor().copy("COPY leads_lead TO STDOUT") as out:
            for block in out:
                dump.write(block)
        dump.seek(0)
        db.execute("DROP TABLE IF EXISTS floor_lead")
        db.execute("CREATE TABLE floor_lead (LIKE leads_lead INCLUDING DEFAULTS)")
        definitions = [
            definition
            for (definition,) in db.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'leads_lead'"
            )
        ]
        started = time.perf_counter()
        with db.transaction(), db.cursor().copy("COPY floor_lead FROM STDIN") as copy:
            while block := dump.read(1 << 20):
                copy.write(block)
        copied = time.perf_counter() - started
        rows = db.execute("SELECT COUNT(*) FROM floor_lead").fetchone()[0]
        started = time.perf_counter()
        with db.transaction():
            for number, definition in enumerate(definitions):
                _, _, rest = definition.partition(" ON ")
                unique = "UNIQUE " if definition.startswith("CREATE UNIQUE") else ""
                table_and_rest = rest.replace("leads_lead", "floor_lead", 1)
                db.execute(f"CREATE {unique}INDEX floor_{number} ON {table_and_rest}")
        indexed = time.perf_counter() - started
        db.execute("DROP TABLE floor_lead")
    return copied, indexed, rows


def sealing_seconds(path: Path) -> float:
    """CPU seconds to encrypt each row's mobile, email and address and hash its mobile and
    email, as the import's cleaning processes do (leads.bulk.importer._seal_row with
    core.crypto: AES-256-GCM, HMAC-SHA256)."""
    import base64
    import hmac

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    cipher, key = AESGCM(AESGCM.generate_key(bit_length=256)), os.urandom(32)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        columns = [header.index(name) for name in ("手机", "邮箱", "地址") if name in header]
        values = [[row[i] for i in columns] for row in rows]
    started = time.process_time()
    for row in values:
        for value in row:
            if value:
                nonce = os.urandom(12)
                base64.urlsafe_b64encode(nonce + cipher.encrypt(nonce, value.encode(), None))
        for value in row[:2]:
            if value:
                hmac.digest(key, value.encode(), "sha256").hex()
    return time.process_time() - started


def run_import(path: Path, env: dict[str, str]) -> tuple[float, float, float, dict]:
    """Wall time, CPU time and peak memory (MB) of the import and its cleaning processes,
    and its summary. On two cores the CPU time is the steadier figure to compare."""
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "leadflow.cli", "migrate", "-v0"], env=env, check=True, cwd=ROOT
    )
    command = [
        sys.executable,
        "-m",
        "leadflow.cli",
        "import",
        "leads",
        str(path),
        "--json",
        "--basis",
        "benchmark",
    ]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=err)  # noqa: S603
        # wait4 reports this child's own peak (with its cleaning process), not the peak of
        # whatever else this script started.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            err.seek(0)
            raise SystemExit(f"the import failed ({child.returncode}):\n{err.read()[-4000:]}")
        out.seek(0)
        summary = json.loads(out.read().strip().splitlines()[-1])
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=2_000, help="rows of the small list (0: none)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"leads-{args.rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {path} in {time.perf_counter() - started:.1f}s")
    with tempfile.TemporaryDirectory() as folder, ExitStack() as cleanup:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "leadflow.settings",
            "LEADFLOW_VAR_DIR": folder,
        }
        database = "PostgreSQL" if env.get("DATABASE_URL") else "SQLite"
        if database == "PostgreSQL":
            env["DATABASE_URL"] = cleanup.enter_context(
                fresh_postgres(env["DATABASE_URL"], "leadflow_bench")
            )
        seconds, cpu, peak_mb, summary = run_import(path, env)
        copy_floor = copy_floor_seconds(env["DATABASE_URL"]) if database == "PostgreSQL" else None
        small = _small_imports(args.small, env) if args.small else None
    floor = floor_seconds(path)  # after the import: its million rows would swell this process
    # The import reads and writes through a 128 MB page cache (leads.bulk.sql.IMPORT_PRAGMAS);
    # the same cache makes the floor faster, so both are shown.
    cached_floor = floor_seconds(path, cache_kib=IMPORT_CACHE_KIB)
    sealing = sealing_seconds(path)
    rows = summary["rows"]
    print(f"database          {database}")
    print(
        f"rows              {rows:,}  (created {summary['created']:,}, merged {summary['merged']:,}, "
        f"rejected {summary['rejected']:,}, non-target {summary['non_target']:,})"
    )
    print(
        f"import            {seconds:.1f} s   {rows / seconds:,.0f} rows/s   peak {peak_mb:,.0f} MB"
    )
    print(f"import CPU        {cpu:.1f} s   {cpu / rows * 1e6:.0f} µs/row (all its processes)")
    if copy_floor:
        copied, indexed, stored = copy_floor
        print(
            f"COPY floor        {copied + indexed:.1f} s   (COPY {copied:.1f} s + indexes "
            f"{indexed:.1f} s of the {stored:,} lead rows the import stored)"
        )
        print(f"ratio             {seconds / (copied + indexed):.2f}× the COPY floor (goal ≤ 2×)")
    print(f"raw executemany   {floor:.1f} s   {rows / floor:,.0f} rows/s   (SQLite, three indexes)")
    print(f"ratio             {seconds / floor:.2f}× the floor")
    print(
        f"raw, import cache {cached_floor:.1f} s   {rows / cached_floor:,.0f} rows/s   "
        f"ratio {seconds / cached_floor:.2f}×"
    )
    print(
        f"sealing alone     {sealing:.1f} s CPU   {sealing / cpu:.0%} of the import's CPU "
        "(encrypt mobile, email, address; hash mobile, email)"
    )
    if small:
        (big_seconds, big_peak), (empty_seconds, empty_peak) = small
        print(
            f"{args.small:,} rows into {rows:,}: {big_seconds:.1f} s, peak {big_peak:,.0f} MB; "
            f"into none: {empty_seconds:.1f} s, peak {empty_peak:,.0f} MB; "
            f"ratio {big_seconds / empty_seconds:.2f}× (goal ≤ 1.5×)"
        )


def _small_imports(rows: int, env: dict[str, str]) -> tuple[tuple[float, float], ...]:
    """(seconds, peak MB) of a new list of `rows` imported into the database in `env` (the
    big import's) and into a fresh empty one."""
    path = OUT / f"small-{rows}.csv"
    if not path.exists():
        generate(path, rows, seed=2027)
    into_big = run_import(path, env)
    with tempfile.TemporaryDirectory() as folder, ExitStack() as cleanup:
        empty = {**env, "LEADFLOW_VAR_DIR": folder}
        if env.get("DATABASE_URL"):
            empty["DATABASE_URL"] = cleanup.enter_context(
                fresh_postgres(env["DATABASE_URL"], "leadflow_bench_small")
            )
        into_empty = run_import(path, empty)
    return (into_big[0], into_big[2]), (into_empty[0], into_empty[2])


if __name__ == "__main__":
    main()
