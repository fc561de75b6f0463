"""What /readyz checks: the database answers, a worker is alive, the task queue is moving."""

import os
import socket
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone

from jaring.core import jobs
from jaring.registry.services import fail_dead_imports

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
    """Tasks waiting to run (READY and due) and how long the oldest has been due, from the task
    table. A task queued for later (the monthly lapse run) is due from its ``run_after``, not
    from the day it was queued."""
    from django.db.models import Case, F, Min, When
    from django.db.models.functions import Greatest
    from django_tasks_db.models import DBTaskResult, get_date_max

    waiting = DBTaskResult.objects.ready()
    due_since = Case(  # run_after is the date maximum for a task that may run at once
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest("enqueued_at", "run_after"),
    )
    summary = waiting.aggregate(oldest=Min(due_since))
    oldest = summary["oldest"]
    return {
        "ready": waiting.count(),
        "running": DBTaskResult.objects.running().count(),
        "oldest_seconds": round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0,
    }


def task_lease(task_id) -> str:
    """The name of the lease a task holds while `jaring worker` runs it (core.jobs)."""
    return f"task:{task_id}"


def fail_dead_jobs() -> dict:
    """Mark failed the imports and tasks left running by a process that died (lease expired).
    `jaring worker` calls it on every heartbeat."""
    from django_tasks_db.models import DBTaskResult

    running = DBTaskResult.objects.running()
    ids = list(running.values_list("id", flat=True))
    alive = jobs.alive(task_lease(task_id) for task_id in ids)
    dead = [task_id for task_id in ids if task_lease(task_id) not in alive]
    if dead:
        running.filter(id__in=dead).update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path=f"{jobs.JobLost.__module__}.{jobs.JobLost.__qualname__}",
            traceback="The worker running this task stopped without finishing it.",
        )
    return {"tasks": dead, "imports": fail_dead_imports()}


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
