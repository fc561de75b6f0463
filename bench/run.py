"""``make bench``: benchmarks (not tests). Figures are printed and written to BENCHMARKS.md.

Each benchmark runs on every database it can reach (SQLite in a temp dir, and PostgreSQL at
JARING_BENCH_POSTGRES_URL, default the loopback server) in a fresh database, several times, and
reports the median. Later issues add their benchmarks to ``BENCHMARKS``.
"""

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "BENCHMARKS.md"
RUNS = int(os.environ.get("JARING_BENCH_RUNS", "5"))
POSTGRES_URL = os.environ.get(
    "JARING_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/jaring_bench"
)

# One benchmark = a Python snippet run in a fresh process against a fresh database; it prints
# one JSON object with at least "seconds" (the timed part only) and "rows".
REGION_LOAD = textwrap.dedent(
    """
    import json, time, django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from jaring.regions.services import load_regions
    started = time.perf_counter()
    result = load_regions(force=True)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = load_regions()
    print(json.dumps({"seconds": seconds, "rows": result.rows,
                      "unchanged_reload_seconds": time.perf_counter() - started,
                      "skipped": again.skipped}))
    """
)

BENCHMARKS = {"region_load": ("Load all 91,599 Kemendagri regions (bulk upsert)", REGION_LOAD)}


def _databases():
    yield "sqlite", None
    probe = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False)
    if probe.returncode == 0:
        yield "postgresql", POSTGRES_URL


def _fresh_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
        subprocess.run(
            ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", sql],
            check=True,
        )


def _run_once(snippet: str, database_url: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, JARING_VAR_DIR=tmp, DJANGO_SETTINGS_MODULE="jaring.settings")
        env.pop("DATABASE_URL", None)
        if database_url:
            _fresh_postgres(database_url)
            env["DATABASE_URL"] = database_url
        out = subprocess.run(
            [sys.executable, "-c", snippet], env=env, capture_output=True, text=True, check=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])


def _machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main() -> None:
    selected = sys.argv[1:] or list(BENCHMARKS)
    lines = []
    for key in selected:
        title, snippet = BENCHMARKS[key]
        for vendor, url in _databases():
            runs = [_run_once(snippet, url) for _ in range(RUNS)]
            median = statistics.median(run["seconds"] for run in runs)
            extra = {k: v for k, v in runs[-1].items() if k not in {"seconds", "rows"}}
            line = (
                f"| {key} | {vendor} | {runs[0]['rows']:,} | {median:.2f} s | "
                f"{runs[0]['rows'] / median:,.0f} rows/s | {RUNS} | {json.dumps(extra)} |"
            )
            print(f"{title} on {vendor}: median {median:.3f}s over {RUNS} runs", flush=True)
            lines.append(line)
    _record(lines)


def _record(lines: list[str]) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = "\n".join(
        [
            f"### Run of {stamp}",
            "",
            f"Machine: {_machine()}",
            "",
            "| benchmark | database | rows | median | throughput | runs | details |",
            "|---|---|---|---|---|---|---|",
            *lines,
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
