import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jaring.finance.services import mark_lapses
from jaring.finance.tasks import ensure_lapse_run_scheduled
from jaring.regions.models import Level, Region


class Command(BaseCommand):
    help = (
        "Mark enrolments lapsed after the arrears rule's unpaid months, and reactivate those "
        "whose arrears were paid within the window (the monthly run, by hand). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", help="kabupaten/kota code, e.g. 14.03")
        parser.add_argument("--date", help="the day to judge (YYYY-MM-DD; today by default)")
        parser.add_argument(
            "--schedule", action="store_true", help="queue the monthly run on the task worker"
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if options["schedule"]:
            queued = ensure_lapse_run_scheduled()
            self.stdout.write("queued" if queued else "already queued")
            if not options["region"]:
                return
        region = Region.objects.filter(code=options["region"] or "", level=Level.REGENCY).first()
        if region is None:
            raise CommandError(f"{options['region']}: not a kabupaten/kota code (--region)")
        try:
            day = (
                datetime.date.fromisoformat(options["date"])
                if options["date"]
                else timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError("--date is YYYY-MM-DD, e.g. 2025-12-01") from exc
        result = mark_lapses(region, day).summary()
        self.stdout.write(json.dumps(result, indent=None if options["json"] else 2))
