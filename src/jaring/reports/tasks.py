"""Background refresh of the summary tables (the database-backed task worker runs it)."""

from django.tasks import task

from jaring.reports.services import mark_dirty, refresh_regency


@task()
def refresh_reports(regency_code: str) -> str:
    """Recount the villages marked since the last refresh (all of them when the day changed)."""
    refresh_regency(regency_code, incremental=True)
    return regency_code


def queue_refresh(sender, regency_code: str, what, region_code: str = "", **kwargs) -> None:
    """Receiver of ``core.events.region_changed``: mark the village that changed (or the whole
    kabupaten) and recount it in the background."""
    mark_dirty(region_code or regency_code)
    refresh_reports.enqueue(regency_code)
