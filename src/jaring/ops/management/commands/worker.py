"""`jaring worker`: the background task worker that production runs (systemd jaring-worker).

django-tasks-db's ``db_worker`` loop, made to survive what happens on a server:

- a heartbeat thread records every few seconds that this worker is alive (in the shared cache),
  which /readyz and the metrics read; on each beat it also marks failed the imports and tasks
  whose process died (their lease expired, ``core.jobs``), so nothing stays "running" forever;
- every task holds a lease while it runs and is stopped after ``JARING_TASK_TIME_LIMIT``;
- a lost database connection (restart, failover, a killed backend) is logged and the loop goes
  on with a new connection instead of the worker exiting.

A worker whose task loop hangs keeps beating, but then the queue's oldest task ages and /readyz
fails on that. The monthly lapse run (``finance.tasks``) is queued if none waits.
"""

import logging
import os
import threading
import time

from django.conf import settings
from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands import db_worker

from jaring.core import jobs
from jaring.finance.tasks import ensure_lapse_run_scheduled
from jaring.ops import health

logger = logging.getLogger(__name__)


class Worker(db_worker.Worker):
    def run_task(self, db_task_result) -> None:
        try:
            with jobs.running(
                health.task_lease(db_task_result.id), settings.JARING_TASK_TIME_LIMIT
            ):
                super().run_task(db_task_result)  # records a time limit as the task's failure
        except jobs.JobTimeLimit:  # the limit fell just as the task ended: it is recorded
            logger.warning("task %s reached its time limit as it ended", db_task_result.id)

    def run(self) -> None:
        pause = max(self.interval, 1.0)
        while True:
            try:
                return super().run()
            except (OperationalError, InterfaceError):
                if not self.running:
                    raise
                logger.warning("worker lost the database; reconnecting", exc_info=True)
                connections.close_all()
                time.sleep(pause)
                pause = min(pause * 2, 30.0)


class Command(db_worker.Command):
    help = "Run the background task worker with a heartbeat (production entry point)"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--heartbeat", type=float, default=10.0, help="seconds between beats")

    def handle(self, *args, heartbeat: float = 10.0, **options):
        """db_worker's own handle, with the Worker above."""
        self.configure_logging(options["verbosity"])
        queues = options["queue_name"].split(",")
        excluded = [name for name in options["exclude_queues"].split(",") if name]
        if excluded and "*" not in queues:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queues,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options.get("worker_id") or get_random_string(32),
            excluded_queue_names=excluded,
        )
        stop = threading.Event()

        def beat_forever():
            while not stop.is_set():
                try:
                    close_old_connections()
                    health.beat(worker.worker_id)
                    health.fail_dead_jobs()
                except Exception:  # a missed beat shows in /readyz; keep beating
                    logger.warning("worker heartbeat failed", exc_info=True)
                stop.wait(heartbeat)

        health.beat(worker.worker_id)
        ensure_lapse_run_scheduled()  # the monthly lapse run keeps itself queued from then on
        threading.Thread(target=beat_forever, name="heartbeat", daemon=True).start()
        try:
            if options["reload"] and not options["batch"]:
                if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                    worker.configure_signals()
                run_with_reloader(worker.run)
            else:
                worker.configure_signals()
                worker.run()
        finally:
            stop.set()
