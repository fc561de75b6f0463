"""The /metrics exposition: django-prometheus' request metrics, the duration histograms in
``jaring.core.metrics``, and the task queue read from the database at scrape time.

With ``JARING_METRICS_DIR`` set (production), every process — each gunicorn worker and the task
worker — writes its samples under a sub-folder of it (``PROMETHEUS_MULTIPROC_DIR``, one per
systemd unit, wiped when the unit starts) and a scrape merges all of them.
"""

import ipaddress
from pathlib import Path

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from jaring.core.throttle import client_address
from jaring.ops import health


class QueueCollector:
    def collect(self):
        state = health.queue_state()
        yield GaugeMetricFamily(
            "jaring_task_queue_ready", "Background tasks waiting to run", value=state["ready"]
        )
        yield GaugeMetricFamily(
            "jaring_task_queue_running", "Background tasks running", value=state["running"]
        )
        yield GaugeMetricFamily(
            "jaring_task_queue_oldest_seconds",
            "Age of the oldest waiting task",
            value=state["oldest_seconds"],
        )
        beat = health.last_beat()
        if beat is not None:
            import time

            yield GaugeMetricFamily(
                "jaring_worker_heartbeat_age_seconds",
                "Seconds since a task worker last reported",
                value=round(time.time() - beat["at"], 1),
            )


class _MergedProcessFiles:
    """prometheus-client's multiprocess merge over the files of several processes' folders."""

    def __init__(self, base: Path):
        self.base = base

    def collect(self):
        files = [str(path) for path in sorted(self.base.glob("*/*.db"))]
        return MultiProcessCollector.merge(files, accumulate=True)


def exposition() -> bytes:
    queue = CollectorRegistry(auto_describe=True)
    queue.register(QueueCollector())
    if settings.JARING_METRICS_DIR:
        processes = CollectorRegistry(auto_describe=True)
        processes.register(_MergedProcessFiles(Path(settings.JARING_METRICS_DIR)))
        return generate_latest(processes) + generate_latest(queue)
    return generate_latest(REGISTRY) + generate_latest(queue)


def allowed(request) -> bool:
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in settings.JARING_METRICS_ALLOW)
