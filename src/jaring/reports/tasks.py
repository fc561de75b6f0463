"""Background refresh of the summary tables (the database-backed task worker runs it)."""

from django.tasks import task

from jaring.reports.services import refresh_regency


@task()
def refresh_reports(regency_code: str) -> str:
    refresh_regency(regency_code)
    return regency_code


def queue_refresh(sender, regency_code: str, what, **kwargs) -> None:
    """Receiver of ``core.events.region_changed``: recount the kabupaten in the background."""
    refresh_reports.enqueue(regency_code)
