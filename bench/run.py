"""``make bench``: benchmarks (not tests). Figures are printed and written to BENCHMARKS.md.

``python -m bench.run [NAME ...]`` runs the named benchmarks (default: all). Each runs in fresh
processes against fresh databases, several times (JARING_BENCH_RUNS, default 3), and reports
the median. PostgreSQL is the loopback server (JARING_BENCH_POSTGRES_URL).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench.targets import measured, table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "BENCHMARKS.md"
DATA = ROOT / "var" / "bench"
RUNS = int(os.environ.get("JARING_BENCH_RUNS", "3"))
# Rows the naive ORM loop registers one by one; the import's ratio to it is taken per row.
NAIVE_SAMPLE = int(os.environ.get("JARING_BENCH_NAIVE_ROWS", "2000"))
POSTGRES_URL = os.environ.get(
    "JARING_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/jaring_bench"
)
JARING = [sys.executable, "-m", "jaring"]


def _env(database_url: str | None, var_dir: str) -> dict:
    env = dict(os.environ, JARING_VAR_DIR=var_dir, DJANGO_SETTINGS_MODULE="jaring.settings")
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _fresh_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def _jaring(env: dict, *args: str) -> tuple[str, int]:
    """Run a jaring command; return its stdout and the peak memory (KiB) of that process."""
    process = subprocess.Popen([*JARING, *args], env=env, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    output = process.stdout.read()
    process.stdout.close()
    if status != 0:
        raise RuntimeError(f"jaring {' '.join(args)} failed ({status})")
    return output, usage.ru_maxrss


def _postgres_available() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0


# --- Region load -----------------------------------------------------------------------------

REGION_LOAD = """
import json, time, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from jaring.regions.services import load_regions
started = time.perf_counter(); result = load_regions(force=True)
seconds = time.perf_counter() - started
started = time.perf_counter(); again = load_regions()
print(json.dumps({"seconds": seconds, "rows": result.rows,
                  "reload_unchanged_s": round(time.perf_counter() - started, 4)}))
"""


def bench_region_load() -> list[str]:
    lines = []
    databases = [("sqlite", None)] + (
        [("postgresql", POSTGRES_URL)] if _postgres_available() else []
    )
    for vendor, url in databases:
        runs = []
        for _ in range(RUNS):
            with tempfile.TemporaryDirectory() as tmp:
                if url:
                    _fresh_postgres(url)
                out = subprocess.run(
                    [sys.executable, "-c", REGION_LOAD],
                    env=_env(url, tmp),
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                runs.append(json.loads(out.strip().splitlines()[-1]))
        median = statistics.median(r["seconds"] for r in runs)
        lines.append(
            f"| region_load | {vendor} | {runs[0]['rows']:,} | {median:.2f} s | "
            f"{runs[0]['rows'] / median:,.0f} rows/s | {RUNS} | "
            f"unchanged reload {runs[-1]['reload_unchanged_s']} s |"
        )
        print(lines[-1], flush=True)
    return lines


# --- Worker import -----------------------------------------------------------------------------

FLOOR_COLUMNS = 11  # the generator's columns


def _floor_copy(url: str, path: Path) -> float:
    """A plain COPY of the same file into an unindexed text table: the floor we compare with."""
    columns = ", ".join(f"c{i} text" for i in range(FLOOR_COLUMNS))
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor")
        conn.execute(f"CREATE TABLE bench_floor ({columns})")
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy(
                "COPY bench_floor FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';')"
            ) as copy,
            path.open("rb") as handle,
        ):
            while block := handle.read(1 << 20):
                copy.write(block)
        conn.commit()
        return time.perf_counter() - started


_WORKER_COLUMNS = (
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'registry_worker' "
    "AND is_generated = 'NEVER' AND identity_generation IS NULL AND column_name <> 'id' "
    "ORDER BY ordinal_position"
)


def _timed_copy(conn, table: str, columns: str, prepared: Path) -> float:
    started = time.perf_counter()
    with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        prepared.open("rb") as handle,
    ):
        while block := handle.read(1 << 20):
            copy.write(block)
    conn.commit()
    return time.perf_counter() - started


def _final_shape_floors(url: str, prepared: Path) -> tuple[float, float]:
    """The imported workers, already prepared (ciphertext, blind index, every column as
    stored), copied (1) into a table of the worker's shape with only its primary key and the
    unique blind index: the minimal final-shape floor; (2) into the real worker table with all
    its indexes, constraints and triggers (emptied first). Returns both times."""
    with psycopg.connect(url) as conn:
        columns = ", ".join(row[0] for row in conn.execute(_WORKER_COLUMNS).fetchall())
        with conn.cursor() as cursor, prepared.open("wb") as handle:
            sql = f"COPY (SELECT {columns} FROM registry_worker) TO STDOUT"  # noqa: S608
            with cursor.copy(sql) as copy:
                for block in copy:
                    handle.write(block)
        conn.execute("DROP TABLE IF EXISTS bench_final")
        conn.execute(
            "CREATE TABLE bench_final (LIKE registry_worker INCLUDING DEFAULTS "
            "INCLUDING IDENTITY INCLUDING GENERATED)"
        )
        conn.execute("ALTER TABLE bench_final ADD PRIMARY KEY (id)")
        conn.execute("ALTER TABLE bench_final ADD UNIQUE (nik_index)")
        conn.commit()
        minimal = _timed_copy(conn, "bench_final", columns, prepared)
        conn.execute("DROP TABLE bench_final")
        conn.execute(
            "TRUNCATE registry_worker, registry_historicalworker, registry_duplicatecandidate "
            "CASCADE"
        )
        conn.commit()
        real = _timed_copy(conn, "registry_worker", columns, prepared)
    return minimal, real


def _reset_registry(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "TRUNCATE registry_worker, registry_historicalworker, registry_importrowissue, "
            "registry_duplicatecandidate, registry_importbatch, registry_importstaging CASCADE"
        )


def bench_import(rows: int) -> list[str]:
    if not _postgres_available():
        print("import benchmark skipped: PostgreSQL is not reachable")
        return []
    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(POSTGRES_URL, tmp)
        _fresh_postgres(POSTGRES_URL)
        _jaring(env, "migrate", "-v", "0")
        _jaring(env, "load_regions")
        path = DATA / f"workers-{rows}.csv"
        if not path.exists():
            _jaring(env, "generate-workers", str(path), "--rows", str(rows), "--region", "14.03")
        floors, finals, reals, first, again, memory = [], [], [], [], [], []
        for _ in range(RUNS):
            floors.append(_floor_copy(POSTGRES_URL, path))
            _reset_registry(POSTGRES_URL)
            out, peak = _jaring(env, "import-workers", str(path), "--region", "14.03", "--json")
            first.append(json.loads(out)["seconds"])
            memory.append(peak)
            out, _ = _jaring(env, "import-workers", str(path), "--region", "14.03", "--json")
            again.append(json.loads(out)["seconds"])
            minimal, real = _final_shape_floors(POSTGRES_URL, Path(tmp) / "prepared.copy")
            finals.append(minimal)
            reals.append(real)
        naive = _naive_orm_loop(env, path)
    floor, final, real, new, rerun = (
        statistics.median(x) for x in (floors, finals, reals, first, again)
    )
    orm_speedup = naive["seconds"] / naive["tried"] * rows / new
    measured(
        "import_1m",
        rows,
        new,
        "s",
        final,
        "final-shape floor",
        peak_rss_mib=round(max(memory) / 1024),
        orm_speedup=f"{orm_speedup:,.0f}",
    )
    measured("reimport_1m", rows, rerun, "s")
    line = (
        f"| import_{rows // 1000}k | postgresql | {rows:,} | {new:.2f} s | {rows / new:,.0f} "
        f"rows/s | {RUNS} | floor COPY {floor:.2f} s → ratio {new / floor:.1f}×; final-shape "
        f"floor (prepared rows, primary key + unique blind index) {final:.2f} s → ratio "
        f"{new / final:.1f}×; COPY into the real worker table {real:.2f} s → ratio "
        f"{new / real:.1f}×; re-import (all unchanged) {rerun:.2f} s; peak RSS "
        f"{max(memory) / 1024:,.0f} MiB; naive ORM loop (register_worker per row, "
        f"{naive['tried']:,} rows) {naive['seconds'] / naive['tried'] * 1000:.1f} ms/row → "
        f"the import is {orm_speedup:,.0f}× faster |"
    )
    print(line, flush=True)
    return [line]


def _naive_orm_loop(env: dict, path: Path, sample: int = NAIVE_SAMPLE) -> dict:
    """The one-worker service over the file's first ``sample`` rows, in an empty registry
    (bench/naive_import.py)."""
    _reset_registry(POSTGRES_URL)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "naive_import.py"), str(path), str(sample)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- Planning and billing ------------------------------------------------------------------


def bench_money(rows: int) -> list[str]:
    if not _postgres_available():
        print("money benchmark skipped: PostgreSQL is not reachable")
        return []
    runs = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            _fresh_postgres(POSTGRES_URL)
            out = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "money.py"), str(rows)],
                env=_env(POSTGRES_URL, tmp),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
    median = {
        key: statistics.median(r[key] for r in runs)
        for key in ("plan_s", "commit_s", "bill_s", "rebill_s", "floor_s")
    }
    last = runs[-1]
    measured("plan_1m", rows, median["plan_s"] + median["commit_s"], "s")
    measured("bill_1m", rows, median["bill_s"], "s", median["floor_s"], "INSERT … SELECT")
    measured("rebill_1m", rows, median["rebill_s"], "s")
    lines = [
        f"| plan_{rows // 1000}k | postgresql | {rows:,} | {median['plan_s']:.2f} s | "
        f"{rows / median['plan_s']:,.0f} candidates/s | {RUNS} | selected {last['selected']:,}; "
        f"commit (enrolments + history) {median['commit_s']:.2f} s |",
        f"| bill_{rows // 1000}k | postgresql | {rows:,} | {median['bill_s']:.2f} s | "
        f"{last['lines'] / median['bill_s']:,.0f} lines/s | {RUNS} | {last['lines']:,} lines, "
        f"Rp{last['total']:,}; re-run {median['rebill_s']:.2f} s adds {last['again']}; floor "
        f"(plain INSERT … SELECT, unindexed) {median['floor_s']:.2f} s, "
        f"×{median['bill_s'] / median['floor_s']:.1f} |",
    ]
    for line in lines:
        print(line, flush=True)
    return lines


def bench_recon(rows: int) -> list[str]:
    """Import and compare a BPJS statement of ``rows`` lines (bench/recon.py)."""
    if not _postgres_available():
        print("reconciliation benchmark skipped: PostgreSQL is not reachable")
        return []
    runs = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            _fresh_postgres(POSTGRES_URL)
            out = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "recon.py"), str(rows)],
                env=_env(POSTGRES_URL, tmp),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
    seconds, again, floor = (
        statistics.median(r[key] for r in runs) for key in ("seconds", "again_s", "floor_s")
    )
    last = runs[-1]
    found = ", ".join(f"{kind} {n:,}" for kind, n in sorted(last["differences"].items()))
    measured("recon_1m", rows, seconds, "s", floor, "INSERT … SELECT")
    line = (
        f"| recon_{rows // 1000}k | postgresql | {last['lines']:,} | {seconds:.2f} s | "
        f"{last['lines'] / seconds:,.0f} lines/s | {RUNS} | floor INSERT … SELECT of the file's "
        f"rows {floor:.2f} s → ratio {seconds / floor:.1f}×; differences: {found}; re-import "
        f"{again:.2f} s adds nothing |"
    )
    print(line, flush=True)
    return [line]


def bench_years(rows: int) -> list[str]:
    """Renewal of a cohort and allocation of a payment to its participant-months (bench/years.py),
    each with the ratio to an INSERT … SELECT of the same rows timed in the same run."""
    if not _postgres_available():
        print("years benchmark skipped: PostgreSQL is not reachable")
        return []
    runs = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            _fresh_postgres(POSTGRES_URL)
            out = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "years.py"), str(rows)],
                env=_env(POSTGRES_URL, tmp),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
    keys = ("allocate_s", "allocate_floor_s", "plan_s", "commit_s", "renew_floor_s")
    median = {key: statistics.median(r[key] for r in runs) for key in keys}
    for r in runs:
        r["renew_s"] = r["plan_s"] + r["commit_s"]
    renew = statistics.median(r["renew_s"] for r in runs)
    allocate = median["allocate_s"]
    last, size = runs[-1], f"{rows // 1000}k" if rows < 1_000_000 else f"{rows // 1_000_000}m"
    measured("allocate_1m", rows, allocate, "s", median["allocate_floor_s"], "INSERT … SELECT")
    measured("renew_1m", rows, renew, "s", median["renew_floor_s"], "INSERT … SELECT")
    lines = [
        f"| allocate_{size} | postgresql | {last['paid_months']:,} participant-months | "
        f"{allocate:.2f} s | "
        f"{last['paid_months'] / allocate:,.0f} participant-months/s | {RUNS} | floor INSERT … "
        f"SELECT of the lines {median['allocate_floor_s']:.2f} s → ratio "
        f"{allocate / median['allocate_floor_s']:.1f}×; target ≤ 10 s |",
        f"| renew_{size} | postgresql | {rows:,} | {renew:.2f} s | {rows / renew:,.0f} "
        f"participants/s | {RUNS} | plan {median['plan_s']:.2f} s + commit "
        f"{median['commit_s']:.2f} s; continued {last['continued']:,}, created "
        f"{last['created']:,}; floor INSERT … SELECT of the new enrolments "
        f"{median['renew_floor_s']:.2f} s → ratio {renew / median['renew_floor_s']:.1f}×; "
        f"target ≤ 10 s |",
    ]
    for line in lines:
        print(line, flush=True)
    return lines


API_TARGET_RPS = 1_500
API_TARGET_P99_MS = 50
API_PORT = int(os.environ.get("JARING_BENCH_API_PORT", "8765"))
# Threads per worker as in production (deploy/gunicorn.conf.py). Each look-up commits its
# access-log row; threads keep several commits in flight, which PostgreSQL flushes together.
API_THREADS = int(os.environ.get("JARING_WEB_THREADS", "4"))


def bench_api(rows: int) -> list[str]:
    """gunicorn as the production unit runs it (deploy/gunicorn.conf.py: gthread, 2 workers per
    core, JARING_WEB_THREADS threads each) over PostgreSQL; the load from wrk (bench/api_load.lua:
    32 persistent connections, as nginx's upstream pool keeps them).

    Each run serves, in turn, the bare WSGI floor (bench/api_bare.py: look-up and access-log
    row in one statement, no framework) and Jaring (jaring.wsgi), under the same load, so the
    ratio compares two figures taken under the same conditions on a shared machine."""
    if not _postgres_available():
        print("api benchmark skipped: PostgreSQL is not reachable")
        return []
    if shutil.which("wrk") is None:
        print("api benchmark skipped: its load comes from wrk (apt-get install wrk)")
        return []
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(POSTGRES_URL, tmp) | {
            "JARING_SECRET_KEY": "bench-only",
            "JARING_NIK_ENCRYPTION_KEY": "YmVuY2gtb25seS1uaWstZW5jcnlwdGlvbi1rZXktMzI=",
            "JARING_NIK_INDEX_KEY": "YmVuY2gtb25seS1uaWstYmxpbmQtaW5kZXgta2V5MzI=",
            "JARING_ALLOWED_HOSTS": "127.0.0.1",
            "JARING_TLS": "0",
            "JARING_API_RATE": os.environ.get("JARING_BENCH_API_RATE", ""),
        }
        _fresh_postgres(POSTGRES_URL)
        setup = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "api.py"), "setup", str(rows)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if setup.returncode:
            raise RuntimeError(setup.stderr[-2000:])
        prepared = json.loads(setup.stdout.strip().splitlines()[-1])
        niks = Path(tmp) / "niks.txt"
        niks.write_text("\n".join(prepared["niks"]))
        workers = 2 * (os.cpu_count() or 1)
        bare_env = env | {
            "BENCH_USER_ID": str(prepared["user_id"]),
            "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        }
        results = {"bare": [], "jaring": []}
        for _ in range(RUNS):
            for name, app, app_env in (
                ("bare", "bench.api_bare:application", bare_env),
                ("jaring", "jaring.wsgi", env),
            ):
                results[name].append(
                    _serve_and_load(app, app_env, workers, prepared["token"], niks)
                )
                print(f"api {name}: {json.dumps(results[name][-1])}", flush=True)
    load = os.getloadavg()

    def median(name, key):
        return statistics.median(r[key] for r in results[name])

    rps, p50, p99 = (median("jaring", k) for k in ("rps", "p50_ms", "p99_ms"))
    bare_rps, bare_p50, bare_p99 = (median("bare", k) for k in ("rps", "p50_ms", "p99_ms"))
    errors = sum(r["errors"] for r in results["jaring"])
    met = rps >= API_TARGET_RPS and p99 <= API_TARGET_P99_MS
    measured(
        "api_coverage", rows, rps, "req/s", bare_rps, "bare WSGI", p99_ms=round(p99, 1), clients=32
    )
    line = (
        f"| api_coverage | postgresql | {rows:,} workers | {rps:,.0f} req/s | p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms | {RUNS} | gunicorn {workers} gthread workers × {API_THREADS} threads, "
        f"wrk with 32 persistent connections, 15 s per run, {errors} failed (status ≥ 400 "
        f"or socket error); bare WSGI floor (look-up + log in one statement) "
        f"{bare_rps:,.0f} req/s, p50 {bare_p50:.1f} ms, p99 {bare_p99:.1f} ms → "
        f"{rps / bare_rps:.2f}× the floor; target ≥ {API_TARGET_RPS:,} req/s, p99 ≤ "
        f"{API_TARGET_P99_MS} ms → {rps / API_TARGET_RPS:.2f}×, {'met' if met else 'not met'}; "
        f"load average {load[0]:.1f} |"
    )
    print(line, flush=True)
    return [line]


def _serve_and_load(app: str, env: dict, workers: int, token: str, niks: Path) -> dict:
    """Serve ``app`` with gunicorn, put the load on it for 15 s, stop it."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(API_THREADS),
            "-b",
            f"127.0.0.1:{API_PORT}",
            "--log-level",
            "warning",
        ],
        env=env,
    )

    def load(seconds: int) -> dict:
        done = subprocess.run(
            [
                "wrk",
                "-t1",
                "-c32",
                f"-d{seconds}s",
                "-s",
                str(ROOT / "bench" / "api_load.lua"),
                f"http://127.0.0.1:{API_PORT}",
            ],
            env=dict(os.environ, BENCH_TOKEN=token, BENCH_NIKS=str(niks)),
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    try:
        _wait_for_port(API_PORT)
        # gunicorn listens before its workers have loaded the application: wait until every
        # worker answers (a short load that is not counted), then measure.
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            warm = load(3)
            if warm["requests"] and warm["p99_ms"] < 2000:
                break
        return load(15)
    finally:
        server.terminate()
        server.wait(timeout=30)


def bench_reports(rows: int, others: int, other_rows: int) -> list[str]:
    """Refresh and page times of the dashboards over many workers and regencies."""
    if not _postgres_available():
        print("reports benchmark skipped: PostgreSQL is not reachable")
        return []
    results = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            _fresh_postgres(POSTGRES_URL)
            done = subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "bench" / "reports.py"),
                    str(rows),
                    str(others),
                    str(other_rows),
                ],
                env=_env(POSTGRES_URL, tmp),
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                raise RuntimeError(done.stderr[-2000:])
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))

    def median(path):
        values = [r[path[0]][path[1]] if len(path) == 2 else r[path[0]] for r in results]
        return statistics.median(values)

    workers = results[0]["workers"]
    floor = median(("baseline_count_s",))
    full, incremental = median(("refresh_full_s",)), median(("refresh_incremental_s",))
    measured("refresh_1m", rows, incremental, "s", floor, "grouped COUNT", incremental=True)
    line = (
        f"| reports | postgresql | {workers:,} workers in {results[0]['regencies']} kabupaten "
        f"({rows:,} in one) | dashboard p95 {median(('dashboard', 'p95_ms')):.0f} ms, national "
        f"p95 {median(('national', 'p95_ms')):.0f} ms, public p95 "
        f"{median(('public', 'p95_ms')):.0f} ms | {RUNS} | refresh of the {rows:,}-worker "
        f"kabupaten: full {full:.2f} s, incremental ({results[0]['changed_villages']} of "
        f"{results[0]['villages']} villages changed) {incremental:.2f} s, first (before "
        f"ANALYZE) {median(('refresh_big_s',)):.2f} s; baseline grouped COUNT(*) pass "
        f"{floor:.2f} s → full {full / floor:.1f}×, incremental {incremental / floor:.2f}×; "
        f"targets refresh ≤ 3 s → {full / 3:.2f}×, dashboard ≤ 200 ms → "
        f"{median(('dashboard', 'p95_ms')) / 200:.2f}×, national ≤ 2 s → "
        f"{median(('national', 'p95_ms')) / 2000:.2f}× |"
    )
    print(line, flush=True)
    return [line]


def _by_region(step: dict) -> str:
    """The step's baseline, when it has one: the month billed kabupaten by kabupaten."""
    if not step.get("bill_by_region"):
        return ""
    lines, seconds = step["bill_by_region"]
    return (
        f" (kabupaten by kabupaten, rolled back: {lines:,} lines {seconds:.1f} s → "
        f"{step['bill_s'] / seconds:.2f}×)"
    )


def bench_national(steps: list[int]) -> list[str]:
    """One national instance grown step by step over all kabupaten (bench/national.py): the
    growth curve of billing, refresh and page times. One run: each step builds on the last."""
    if not _postgres_available():
        print("national benchmark skipped: PostgreSQL is not reachable")
        return []
    with tempfile.TemporaryDirectory() as tmp:
        _fresh_postgres(POSTGRES_URL)
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "national.py"), ",".join(map(str, steps))],
            env=_env(POSTGRES_URL, tmp),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(done.stderr[-2000:])
    lines = []
    records = (json.loads(x) for x in done.stdout.splitlines() if x.startswith("{"))
    # One record per step, in order (the rest of the output is the request log); each step is
    # the national total it was grown to (its kabupaten's shares round down a little).
    for total, step in zip(steps, (r for r in records if "workers" in r), strict=False):
        pages = max(step["national"]["p95_ms"], step["dashboard"]["p95_ms"])
        lines.append(
            f"| national_{total // 1_000_000 or total // 1000}"
            f"{'m' if total >= 1_000_000 else 'k'} | postgresql | "
            f"{step['workers']:,} workers in {step['regencies']} kabupaten | national p95 "
            f"{step['national']['p95_ms']:.0f} ms, dashboard p95 {step['dashboard']['p95_ms']:.0f}"
            f" ms, public p95 {step['public']['p95_ms']:.0f} ms | 1 | billing one month in one "
            f"run (`jaring bill --all`) {step['bill_lines']:,} lines {step['bill_s']:.1f} s"
            f"{_by_region(step)}; JKM claims "
            f"{step['claims']['reported']:,} reported, {step['claims']['paid']:,} paid; "
            f"refresh of every kabupaten "
            f"{step['refresh_total_s']:.1f} s (largest, {step['largest']['code']} with "
            f"{step['largest']['workers']:,} workers, {step['refresh_max_s']:.2f} s); registry "
            f"import of {step['import']['rows']:,} rows into {step['import']['code']} "
            f"{step['import']['s']:.1f} s; insert {step['insert_s']:.1f} s |"
        )
        measured("pages_10m", total, pages, "ms", workers=f"{step['workers']:,}")
    for line in lines:
        print(line, flush=True)
    return lines


def _wait_for_port(port: int, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise RuntimeError(f"nothing listens on port {port}")


BENCHMARKS = {
    "region_load": bench_region_load,
    "import_100k": lambda: bench_import(100_000),
    "import_1m": lambda: bench_import(1_000_000),
    "money_100k": lambda: bench_money(100_000),
    "money_1m": lambda: bench_money(1_000_000),
    "recon_100k": lambda: bench_recon(100_000),
    "recon_1m": lambda: bench_recon(1_000_000),  # target: ≤ 10 s
    "years_100k": lambda: bench_years(100_000),
    "years_1m": lambda: bench_years(1_000_000),  # targets: renewal and allocation ≤ 10 s each
    "api_100k": lambda: bench_api(100_000),
    "api_1m": lambda: bench_api(1_000_000),  # targets: ≥ 1,500 req/s, p99 ≤ 50 ms
    "reports_100k": lambda: bench_reports(100_000, 4, 20_000),
    "reports_1m": lambda: bench_reports(1_000_000, 49, 20_000),
    # One national instance at 1M: billing all of it in one run against kabupaten by kabupaten.
    "national_1m": lambda: bench_national([1_000_000]),
    # The growth curve of one national instance; the last step is the 10M target of issue 18.
    "reports_10m": lambda: bench_national([1_000_000, 2_000_000, 5_000_000, 10_000_000]),
}


def _machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {cpu}, {memory:.0f} GiB RAM, Python "
        f"{platform.python_version()}, PostgreSQL on loopback"
    )


def main() -> None:
    selected = sys.argv[1:] or list(BENCHMARKS)
    lines = []
    for name in selected:
        lines += BENCHMARKS[name]()
    targets = table()
    print("\n".join(targets))
    _record(lines, targets)


def _record(lines: list[str], targets: list[str]) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = "\n".join(
        [
            f"### Run of {stamp}",
            "",
            f"Machine: {_machine()}; load average at the end "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (shared machine)",
            "",
            "| benchmark | database | rows | median | throughput | runs | details |",
            "|---|---|---|---|---|---|---|",
            *lines,
            "",
            "Against the issues' targets (a target whose benchmark was not in this run says so):",
            "",
            *targets,
            "",
        ]
    )
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n"
    marker = "## Latest runs (written by `make bench`)"
    if marker not in text:
        text = text.rstrip() + f"\n\n{marker}\n"
    head, _, tail = text.partition(marker)
    RESULTS.write_text(f"{head}{marker}\n\n{block}\n{tail.lstrip()}")
    print(f"Recorded in {RESULTS}")


if __name__ == "__main__":
    main()
