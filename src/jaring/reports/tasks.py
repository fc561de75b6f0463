"""Background refresh of the summary tables (the database-backed task worker runs it)."""

from django.tasks import task

from jaring.reports.services import refresh_regency


@task()
def refresh_reports(regency_code: str) -> str:
    refresh_regency(regency_code)
    return regency_code
