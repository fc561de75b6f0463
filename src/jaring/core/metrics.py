"""Prometheus metrics that the domain apps record (durations of imports and billing runs).

Kept in core so that any app may record without importing the ops app above it. Requests and
latencies come from django-prometheus' middleware; queue length and age are read from the
database when scraped (``jaring.ops.metrics``). Under gunicorn each process writes its samples
to ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode) and the scrape merges them.
"""

import time
from contextlib import contextmanager

from prometheus_client import Histogram

DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)

IMPORT_SECONDS = Histogram(
    "jaring_import_duration_seconds",
    "Time to process one registry import batch",
    ["outcome"],
    buckets=DURATION_BUCKETS,
)
BILLING_SECONDS = Histogram(
    "jaring_billing_duration_seconds",
    "Time to bill one region for one month",
    buckets=DURATION_BUCKETS,
)


@contextmanager
def timed(histogram: Histogram, **labels):
    started = time.perf_counter()
    try:
        yield
    finally:
        (histogram.labels(**labels) if labels else histogram).observe(time.perf_counter() - started)
