import datetime
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jaring.core.spreadsheets import FileRefused
from jaring.finance.reconciliation.exports import write_statement_xlsx
from jaring.finance.reconciliation.services import import_statement
from jaring.finance.services import sources_of
from jaring.regions.models import Region


class Command(BaseCommand):
    help = (
        "Import a BPJS branch's monthly statement for one funding source and compare it with "
        "Jaring's invoice lines. Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--region", required=True, help="kabupaten/kota code, e.g. 14.03")
        parser.add_argument("--source", required=True, help="funding source (name or kind)")
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--xlsx", help="also write the differences workbook here")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        region = Region.objects.filter(code=options["region"], level=2).first()
        if region is None:
            raise CommandError(f"{options['region']}: not a kabupaten/kota code")
        source = sources_of(region, options["source"]).first()
        if source is None:
            raise CommandError(f"no active funding source {options['source']!r} in {region.name}")
        try:
            month = datetime.datetime.strptime(options["month"], "%Y-%m").date()  # noqa: DTZ007
        except ValueError as exc:
            raise CommandError("--month is YYYY-MM, e.g. 2025-09") from exc
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            outcome = import_statement(source, month, path, None)
        except FileRefused as exc:
            raise CommandError(str(exc)) from exc
        if options["xlsx"]:
            # the server's own operator: KPJ numbers in full
            write_statement_xlsx(outcome.statement, Path(options["xlsx"]), kpj=str)
        self.stdout.write(json.dumps(outcome.summary(), indent=None if options["json"] else 2))
