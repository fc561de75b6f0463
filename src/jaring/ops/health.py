"""What /readyz checks: the database answers, a worker is alive, the task queue is moving."""

import os
import socket
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

HEARTBEAT_KEY = "jaring:worker-heartbeat"


def beat(worker_id: str) -> None:
    """Called by `jaring worker` every few seconds from a thread beside the task loop."""
    cache.set(
        HEARTBEAT_KEY,
        {"at": time.time(), "worker": worker_id, "host": socket.gethostname(), "pid": os.getpid()},
        timeout=24 * 3600,
    )


def last_beat() -> dict | None:
    return cache.get(HEARTBEAT_KEY)


def queue_state() -> dict:
    """Tasks waiting to run (READY and due) and the age of the oldest, from the task table."""
    from django.db.models import Min
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready()
    summary = waiting.aggregate(oldest=Min("enqueued_at"))
    oldest = summary["oldest"]
    return {
        "ready": waiting.count(),
        "running": DBTaskResult.objects.running().count(),
        "oldest_seconds": round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0,
    }


def readiness() -> tuple[bool, dict]:
    checks: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = {"ok": True}
    except Exception as exc:  # any failure to reach the database means not ready
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        return False, checks

    heartbeat = last_beat()
    age = None if heartbeat is None else round(time.time() - heartbeat["at"], 1)
    checks["worker"] = {
        "ok": age is not None and age <= settings.JARING_WORKER_STALE_SECONDS,
        "last_beat_seconds": age,
    }
    queue = queue_state()
    checks["queue"] = {"ok": queue["oldest_seconds"] <= settings.JARING_QUEUE_MAX_AGE, **queue}
    return all(check["ok"] for check in checks.values()), checks
