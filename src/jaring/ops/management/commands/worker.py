"""`jaring worker`: the background task worker that production runs (systemd jaring-worker).

django-tasks-db's ``db_worker`` plus a heartbeat, and the monthly lapse run queued if none
waits (``finance.tasks``): a thread records every few seconds that this
worker is alive (in the shared cache), which /readyz and the metrics read. A worker whose task
loop hangs keeps beating, but then the queue's oldest task ages and /readyz fails on that.
"""

import logging
import threading

from django.utils.crypto import get_random_string
from django_tasks_db.management.commands import db_worker

from jaring.finance.tasks import ensure_lapse_run_scheduled
from jaring.ops import health

logger = logging.getLogger(__name__)


class Command(db_worker.Command):
    help = "Run the background task worker with a heartbeat (production entry point)"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--heartbeat", type=float, default=10.0, help="seconds between beats")

    def handle(self, *args, heartbeat: float = 10.0, **options):
        worker_id = options.get("worker_id") or get_random_string(32)
        options["worker_id"] = worker_id
        stop = threading.Event()

        def beat_forever():
            while not stop.is_set():
                try:
                    health.beat(worker_id)
                except Exception:  # a missed beat shows in /readyz; keep beating
                    logger.warning("worker heartbeat failed", exc_info=True)
                stop.wait(heartbeat)

        health.beat(worker_id)
        ensure_lapse_run_scheduled()  # the monthly lapse run keeps itself queued from then on
        threading.Thread(target=beat_forever, name="heartbeat", daemon=True).start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
