import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jaring.registry.synthetic import write_csv, write_national

DEFAULT_REGION = "14.03"  # Kabupaten Bengkalis, the demo's


class Command(BaseCommand):
    help = (
        "Write a synthetic worker list (CSV) in real villages, with a share of broken rows; "
        "with --national, one list per kabupaten/kota into a directory, the rows spread over "
        "the country in proportion to population."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", type=Path, help="the CSV file (a directory with --national)")
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--region", help=f"kabupaten/kota code (default {DEFAULT_REGION})")
        scope.add_argument(
            "--national",
            action="store_true",
            help="every kabupaten/kota, in proportion to population: OUTPUT/<code>.csv",
        )
        parser.add_argument("--rows", type=int, default=1000)
        parser.add_argument("--bad-share", type=float, default=0.05)
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args, **options):
        output, rows = options["output"], options["rows"]
        if rows < 0 or not 0 <= options["bad_share"] <= 1:
            raise CommandError("--rows must be 0 or more and --bad-share between 0 and 1")
        if options["national"]:
            if options["region"]:  # call_command(national=True, region=…) bypasses argparse
                raise CommandError("--national and --region exclude each other")
            if output.exists() and not output.is_dir():
                raise CommandError(f"{output}: not a directory")
            try:
                written = write_national(output, rows, options["bad_share"], options["seed"])
            except FileExistsError as refused:
                raise CommandError(str(refused)) from refused
            except ValueError as refused:
                raise CommandError(f"{refused} (regions loaded? jaring load_regions)") from refused
            summary = {"files": len(written), "rows": rows, "regencies": written}
            self.stdout.write(json.dumps(summary))
            return
        flaws = write_csv(
            output, options["region"] or DEFAULT_REGION, rows, options["bad_share"], options["seed"]
        )
        self.stdout.write(json.dumps(dict(flaws)))
