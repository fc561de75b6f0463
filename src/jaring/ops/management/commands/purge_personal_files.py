import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from jaring.core.commands import write_summary
from jaring.enrolment.services import purge_submission_files
from jaring.finance.reconciliation.services import purge_statement_files
from jaring.registry.services import purge_import_files


class Command(BaseCommand):
    help = (
        "Delete personal data kept past its retention period "
        "(JARING_PERSONAL_DATA_RETENTION_DAYS): imports' kept lists, rejects workbooks and raw "
        "rejected rows, replied BPJS submission workbooks, imported BPJS statements. Counts, "
        "reasons and checksums stay. "
        "Safe to run again (a daily timer)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="keep this many days instead of JARING_PERSONAL_DATA_RETENTION_DAYS",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        days = options["days"]
        days = settings.JARING_PERSONAL_DATA_RETENTION_DAYS if days is None else days
        before = timezone.now() - datetime.timedelta(days=max(days, 0))
        summary = {
            "days": days,
            **purge_import_files(before),
            **purge_submission_files(before),
            **purge_statement_files(before),
        }
        write_summary(self.stdout, summary, options["json"])
