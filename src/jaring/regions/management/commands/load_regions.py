import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand

from jaring.regions.services import POPULATION_CSV, REGIONS_CSV, load_regions


class Command(BaseCommand):
    help = "Load the Kemendagri region hierarchy (provinsi to desa/kelurahan). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--regions", type=Path, default=REGIONS_CSV)
        parser.add_argument("--population", type=Path, default=POPULATION_CSV)
        parser.add_argument("--force", action="store_true", help="reload even if unchanged")
        parser.add_argument("--json", action="store_true", help="print a JSON summary")

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = load_regions(options["regions"], options["population"], force=options["force"])
        seconds = round(time.perf_counter() - started, 3)
        if options["json"]:
            self.stdout.write(
                json.dumps({"rows": result.rows, "skipped": result.skipped, "seconds": seconds})
            )
        elif result.skipped:
            self.stdout.write(f"Regions unchanged ({result.rows} rows), nothing to load.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Loaded {result.rows} regions in {seconds}s."))
