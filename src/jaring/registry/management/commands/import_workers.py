import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from jaring.core.sealed import unseal_to
from jaring.regions.models import Region
from jaring.registry.selectors import warnings_of
from jaring.registry.services import create_batch, rejects_workbook, run_import


class Command(BaseCommand):
    help = "Import workers from an .xlsx, .xls or .csv list (DTKS, P3KE, village lists)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--region", required=True, help="kabupaten/kota or kecamatan code")
        parser.add_argument("--source", default="", help="data source, e.g. DTKS or P3KE")
        parser.add_argument("--rejects", type=Path, help="write rejected rows to this .xlsx")
        parser.add_argument("--dry-run", action="store_true", help="check only, change nothing")
        parser.add_argument("--json", action="store_true", help="print one JSON summary")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        region = Region.objects.filter(code=options["region"], level__in=[2, 3]).first()
        if region is None:
            raise CommandError(f"{options['region']}: not a kabupaten/kota or kecamatan code")
        batch = create_batch(path, region, options["source"], dry_run=options["dry_run"])
        batch = run_import(batch, progress=None if options["json"] else self._progress)
        if options["rejects"] and (workbook := rejects_workbook(batch)):
            unseal_to(workbook, options["rejects"])
        summary = batch.summary() | ({"error": batch.error} if batch.error else {})
        if options["json"]:
            summary["warning_rows"] = [
                warning
                | {
                    "worker_url": warning["worker"]
                    and reverse("registry:worker", args=[warning["worker"]])
                }
                for warning in warnings_of(batch)
            ]
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write("")
            for key, value in summary.items():
                self.stdout.write(f"{key:>10}: {value}")
        if batch.error:
            raise CommandError(batch.error)

    def _progress(self, done: int, total: int | None) -> None:
        self.stdout.write(f"\r{done}/{total or '?'} baris diperiksa", ending="")
        self.stdout.flush()
