import datetime
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from jaring.finance.services import bill_month
from jaring.regions.models import Region


class Command(BaseCommand):
    help = "Bill one month's contributions for every covered worker of a region. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True)
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--source", help="only this funding source (name or kind)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        region = Region.objects.filter(code=options["region"], level__in=[1, 2]).first()
        if region is None:
            raise CommandError(f"{options['region']}: not a province or kabupaten/kota code")
        try:
            month = datetime.datetime.strptime(options["month"], "%Y-%m").date()  # noqa: DTZ007
        except ValueError as exc:
            raise CommandError("--month is YYYY-MM, e.g. 2025-09") from exc
        try:
            result = bill_month(region, month, None, options["source"])
        except ValidationError as exc:  # nothing billable: no empty invoice, the reasons
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(json.dumps(result.summary(), indent=None if options["json"] else 2))
