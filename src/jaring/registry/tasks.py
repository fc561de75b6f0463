"""Background work for the registry (Django's tasks framework, database-backed worker)."""

import time

from django.core.cache import cache
from django.tasks import task

from jaring.core.metrics import IMPORT_SECONDS
from jaring.registry.models import ImportBatch
from jaring.registry.services import run_import

PROGRESS_KEY = "jaring:import-progress:{}"


def progress_of(batch_id: int) -> dict:
    return cache.get(PROGRESS_KEY.format(batch_id)) or {"done": 0, "total": None}


def _reporter(batch_id: int):
    def report(done: int, total: int | None) -> None:
        # Progress lives outside the database: the import's own transaction hides its rows.
        cache.set(PROGRESS_KEY.format(batch_id), {"done": done, "total": total}, 24 * 3600)

    return report


@task()
def import_workers(batch_id: int) -> dict:
    batch = ImportBatch.objects.select_related("region", "created_by").get(pk=batch_id)
    started = time.perf_counter()
    batch = run_import(batch, progress=_reporter(batch_id))
    IMPORT_SECONDS.labels(outcome=batch.status).observe(time.perf_counter() - started)
    return batch.summary()
