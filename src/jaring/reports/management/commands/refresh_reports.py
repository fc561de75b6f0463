from django.core.management.base import BaseCommand

from jaring.regions.models import Level, Region
from jaring.registry.models import Worker
from jaring.reports.services import refresh_regency


class Command(BaseCommand):
    help = "Recount the dashboard summary tables (one kabupaten/kota, or every one with workers)."

    def add_arguments(self, parser):
        parser.add_argument("--region", help="kabupaten/kota code; default: all with workers")

    def handle(self, *args, **options):
        codes = (
            [options["region"]]
            if options["region"]
            else sorted(set(Worker.objects.values_list("regency_code", flat=True).distinct()))
        )
        for code in codes:
            if not Region.objects.filter(code=code, level=Level.REGENCY).exists():
                self.stderr.write(f"{code}: not a kabupaten/kota code")
                continue
            refresh_regency(code)
            self.stdout.write(f"{code} refreshed")
