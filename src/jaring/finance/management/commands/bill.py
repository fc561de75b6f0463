import datetime
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from jaring.finance.services import bill_month, bill_month_everywhere
from jaring.regions.models import Region


class Command(BaseCommand):
    help = (
        "Bill one month's contributions for every covered worker of a region, or of every "
        "region of the instance (--all: a national instance's monthly run). Idempotent."
    )

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group(required=True)
        where.add_argument("--region", help="a province or kabupaten/kota code, e.g. 14.03")
        where.add_argument(
            "--all", action="store_true", help="every funding source of the instance, in one run"
        )
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--source", help="only this funding source (name or kind)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if options["all"] and options["source"]:
            raise CommandError("--source names a source of one region: use it with --region")
        try:
            month = datetime.datetime.strptime(options["month"], "%Y-%m").date()  # noqa: DTZ007
        except ValueError as exc:
            raise CommandError("--month is YYYY-MM, e.g. 2025-09") from exc
        try:
            if options["all"]:
                result = bill_month_everywhere(month)
            else:
                result = bill_month(self._region(options["region"]), month, None, options["source"])
        except ValidationError as exc:  # nothing billable: no empty invoice, the reasons
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(json.dumps(result.summary(), indent=None if options["json"] else 2))

    @staticmethod
    def _region(code: str) -> Region:
        region = Region.objects.filter(code=code, level__in=[1, 2]).first()
        if region is None:
            raise CommandError(f"{code}: not a province or kabupaten/kota code")
        return region
