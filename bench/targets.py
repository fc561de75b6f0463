"""The issues' performance targets, and the table `make bench` prints against them.

Each benchmark reports what it measured with :func:`measured` (the value, the baseline timed in
the same run, and the figures a target also names such as peak memory or p99); at the end of
the run :func:`table` prints one row per target — measured, baseline, ratio, met or not — and a
target whose benchmark was not run says so instead of showing an old figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Measure:
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.value / self.baseline


@dataclass(frozen=True)
class Target:
    key: str
    issue: int
    what: str
    wanted: str
    benchmark: str
    met: Callable[[Measure], bool]
    rows: int = 1_000_000  # the size the issue states the target at


def _within(seconds: float) -> Callable[[Measure], bool]:
    return lambda m: m.value <= seconds


TARGETS = [
    Target(
        "import_1m",
        18,
        "import 1M registry rows",
        "≤ 3 × the minimal final-shape floor; ≥ 100 × the naive ORM loop; peak RSS ≤ 1 GiB",
        "import_1m",
        lambda m: (
            m.ratio is not None
            and m.ratio <= 3
            and m.extra.get("peak_rss_mib", 1e9) <= 1024
            and m.extra.get("orm_speedup", 0) >= 100
        ),
    ),
    Target(
        "reimport_1m",
        18,
        "re-import of the same 1M (unchanged)",
        "≤ 10 s",
        "import_1m",
        _within(10),
    ),
    Target("bill_1m", 18, "billing 1M enrolments", "≤ 5 s", "money_1m", _within(5)),
    Target("rebill_1m", 18, "billing re-run, 1M", "≤ 0.5 s", "money_1m", _within(0.5)),
    Target(
        "plan_1m",
        18,
        "planning 1M candidates, with commit",
        "≤ 10 s",
        "money_1m",
        _within(10),
    ),
    Target(
        "api_coverage",
        18,
        "coverage look-up API, access log written",
        "≥ 1,500 req/s, p99 ≤ 50 ms at 32 clients",
        "api_1m",
        lambda m: m.value >= 1500 and m.extra.get("p99_ms", 1e9) <= 50,
    ),
    Target(
        "refresh_1m",
        18,
        "refresh of a 1M-worker kabupaten's summaries",
        "≤ 3 s, incremental",
        "reports_1m",
        lambda m: m.value <= 3 and m.extra.get("incremental", False),
    ),
    Target(
        "pages_10m",
        18,
        "national page and kabupaten dashboard",
        "p95 ≤ 200 ms at 10M workers in 514 kabupaten",
        "reports_10m",
        lambda m: m.value <= 200,
        rows=10_000_000,
    ),
    Target("renew_1m", 14, "renewing a cohort of 1M", "≤ 10 s", "years_1m", _within(10)),
    Target(
        "allocate_1m",
        14,
        "allocating a payment to 1M participant-months",
        "≤ 10 s",
        "years_1m",
        _within(10),
    ),
    Target(
        "recon_1m", 14, "reconciling a 1M-line BPJS statement", "≤ 10 s", "recon_1m", _within(10)
    ),
]

_MEASURED: dict[str, Measure] = {}


def measured(
    key: str,
    rows: int,
    value: float,
    unit: str,
    baseline: float | None = None,
    baseline_name: str = "",
    **extra,
) -> None:
    """Record one target's figure from the benchmark that measured it over ``rows`` (the last
    run wins); a run at another size than the one the target is stated at records nothing."""
    target = next((t for t in TARGETS if t.key == key), None)
    if target is None:
        raise KeyError(f"no target named {key}")
    if rows == target.rows:
        _MEASURED[key] = Measure(value, unit, baseline, baseline_name, extra)


def _figure(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.2f} {unit}"


def _extras(m: Measure) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in m.extra.items())


def table() -> list[str]:
    """One Markdown row per target: measured, baseline, ratio, met."""
    rows = [
        "| issue | what | target | measured | baseline (same run) | ratio | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for target in TARGETS:
        m = _MEASURED.get(target.key)
        if m is None:
            rows.append(
                f"| #{target.issue} | {target.what} | {target.wanted} | not run "
                f"(`BENCH={target.benchmark}`) | | | |"
            )
            continue
        measured_text = _figure(m.value, m.unit) + (f" ({_extras(m)})" if m.extra else "")
        baseline = f"{m.baseline_name} {_figure(m.baseline, m.unit)}" if m.baseline else "—"
        ratio = f"{m.ratio:.2f}×" if m.ratio is not None else "—"
        verdict = "**met**" if target.met(m) else "not met"
        rows.append(
            f"| #{target.issue} | {target.what} | {target.wanted} | {measured_text} | "
            f"{baseline} | {ratio} | {verdict} |"
        )
    return rows
