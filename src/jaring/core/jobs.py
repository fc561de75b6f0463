"""Long jobs (imports, background tasks): a lease that says the job is alive, and a time limit.

A running job holds a lease in the shared cache and a thread beside it renews the lease every
few seconds. The lease cannot live in the database: the job's own transaction hides what it
writes, and SQLite lets no other writer in while it runs. A job whose lease has expired is dead
(its process was killed, its machine lost); whoever owns the job's record marks it failed.

The same thread enforces the job's time limit: past it, :class:`JobTimeLimit` is raised in the
job's own thread, which rolls its transaction back like any other error. The exception arrives
at the job's next Python instruction, so a single database statement or C call is not cut
short; it is stopped as soon as it returns.
"""

from __future__ import annotations

import ctypes
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

LEASE_KEY = "jaring:lease:{}"


class JobTimeLimit(Exception):
    """A job ran longer than it may; raised inside the job's thread (as a subclass that carries
    the job's limit: an exception raised in another thread is given as a class)."""

    seconds: float = 0.0

    def __str__(self) -> str:
        return f"time limit of {self.seconds:g} s exceeded"


class JobLost(Exception):
    """Recorded for a job whose process died: its lease expired before it finished."""


def renew(name: str, seconds: float | None = None) -> None:
    seconds = seconds or settings.JARING_JOB_LEASE_SECONDS
    cache.set(
        LEASE_KEY.format(name),
        {"until": time.time() + seconds, "host": socket.gethostname(), "pid": os.getpid()},
        timeout=seconds,
    )


def release(name: str) -> None:
    cache.delete(LEASE_KEY.format(name))


def alive(names: Iterable[str]) -> set[str]:
    """Which of these jobs hold a lease that has not expired."""
    names = list(names)
    leases = cache.get_many([LEASE_KEY.format(name) for name in names])
    now = time.time()
    return {
        name
        for name in names
        if (lease := leases.get(LEASE_KEY.format(name))) is not None and lease["until"] > now
    }


def _raise_in(thread_id: int, exception: type[BaseException]) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception)
    )


@contextmanager
def running(name: str, time_limit: float | None = None) -> Iterator[None]:
    """Hold the lease ``name`` while the block runs; stop the block after ``time_limit`` s."""
    lease = settings.JARING_JOB_LEASE_SECONDS
    job_thread = threading.get_ident()
    deadline = time.monotonic() + time_limit if time_limit else None
    stop = threading.Event()
    guard = threading.Lock()  # the limit is never raised once the block has ended

    def watch() -> None:
        stopped = False
        while not stop.wait(min(lease / 4, 5.0)):
            try:
                renew(name, lease)  # also while a stopped job rolls back
            except Exception:  # a missed renewal is retried; only expiry means death
                logger.warning("could not renew the lease of %s", name, exc_info=True)
            if not stopped and deadline is not None and time.monotonic() >= deadline:
                with guard:
                    if not stop.is_set():
                        logger.error("%s exceeded its time limit of %s s", name, time_limit)
                        limit = type("JobTimeLimit", (JobTimeLimit,), {"seconds": time_limit})
                        _raise_in(job_thread, limit)
                stopped = True

    def finish() -> None:
        with guard:
            stop.set()

    renew(name, lease)
    watcher = threading.Thread(target=watch, name=f"lease {name}", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        try:
            finish()
        except JobTimeLimit:  # delivered just as the block ended
            finish()
            raise
        finally:
            release(name)
