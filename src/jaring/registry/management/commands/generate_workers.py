import json
from pathlib import Path

from django.core.management.base import BaseCommand

from jaring.registry.synthetic import write_csv


class Command(BaseCommand):
    help = "Write a synthetic worker list (CSV) in real villages, with a share of broken rows."

    def add_arguments(self, parser):
        parser.add_argument("output", type=Path)
        parser.add_argument("--region", default="14.03")
        parser.add_argument("--rows", type=int, default=1000)
        parser.add_argument("--bad-share", type=float, default=0.05)
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args, **options):
        flaws = write_csv(
            options["output"],
            options["region"],
            options["rows"],
            options["bad_share"],
            options["seed"],
        )
        self.stdout.write(json.dumps(dict(flaws)))
