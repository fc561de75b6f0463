"""The monthly lapse run, queued on the database task worker (``jaring worker``).

``lapse_run`` queues itself for the first day of the next month, then marks lapses and
reactivations in every kabupaten/kota with a funding source, then creates the coming months'
partitions of the big tables (PostgreSQL, ``core.partitions``); ``ensure_lapse_run_scheduled``
(called when the worker starts, and by ``jaring lapse --schedule``) queues the first run if none
waits.
"""

from __future__ import annotations

import datetime

from django.tasks import task
from django.utils import timezone

from jaring.core import partitions
from jaring.finance.models import FundingSource
from jaring.finance.protection import add_months
from jaring.finance.services import mark_lapses
from jaring.regions.models import Region

LAPSE_RUN_HOUR = 2  # local time on the 1st: after the day's payments are recorded


@task()
def lapse_run(day: str | None = None) -> list[dict]:
    """Mark lapses and reactivations in every kabupaten/kota with a funding source on ``day``
    (ISO date; today by default). Next month's run is queued first, so that a failure here
    does not break the chain."""
    when = datetime.date.fromisoformat(day) if day else timezone.localdate()
    schedule_lapse_run(add_months(when.replace(day=1), 1))
    regencies = Region.objects.filter(code__in=FundingSource.objects.values("region_id")).order_by(
        "code"
    )
    summaries = [mark_lapses(region, when).summary() for region in regencies]
    # The monthly partitions of the big tables, ahead of the rows (``jaring partitions``).
    partitions.ensure_all_ahead(when)
    return summaries


def schedule_lapse_run(first_of_month: datetime.date):
    """Queue the lapse run for the given month's first day (None: the configured task backend
    cannot defer a task; run ``jaring lapse`` from a timer instead)."""
    if not lapse_run.get_backend().supports_defer:
        return None
    run_after = timezone.make_aware(
        datetime.datetime.combine(first_of_month, datetime.time(LAPSE_RUN_HOUR))
    )
    return lapse_run.using(run_after=run_after).enqueue()


def ensure_lapse_run_scheduled(today: datetime.date | None = None) -> bool:
    """Queue next month's run unless one already waits (database backend). True if queued."""
    from django_tasks_db.models import DBTaskResult

    if not lapse_run.get_backend().supports_defer:
        return False
    waiting = DBTaskResult.objects.filter(task_path=lapse_run.module_path, status="READY").exists()
    if waiting:
        return False
    today = today or timezone.localdate()
    schedule_lapse_run(add_months(today.replace(day=1), 1))
    return True
