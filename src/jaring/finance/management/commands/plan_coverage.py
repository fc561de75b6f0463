import datetime
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from jaring.enrolment import selectors
from jaring.finance import planning
from jaring.finance.services import sources_of
from jaring.regions.models import Region


class Command(BaseCommand):
    help = "Plan who a funding source covers for the rest of a fiscal year (--commit to enrol)."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--source", required=True, help="funding source name or kind")
        parser.add_argument("--start", help="first covered month, YYYY-MM")
        parser.add_argument(
            "--quota", action="append", default=[], help="per-kecamatan cap, CODE=N (repeatable)"
        )
        parser.add_argument("--commit", action="store_true")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        region = Region.objects.filter(code=options["region"], level__in=[2, 3]).first()
        if region is None:
            raise CommandError(f"{options['region']}: not a kabupaten/kota or kecamatan code")
        owner = region if region.level == 2 else region.parent
        source = sources_of(owner, options["source"]).first()
        if source is None:
            raise CommandError(f"no active funding source {options['source']!r} in {owner.name}")
        start = None
        if options["start"]:
            start = datetime.datetime.strptime(options["start"], "%Y-%m").date()  # noqa: DTZ007
        quotas = dict(item.split("=", 1) for item in options["quota"])
        try:
            plan = planning.plan_coverage(region, source, options["year"], None, start, quotas)
            created = planning.commit_plan(plan, None) if options["commit"] else 0
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        summary = {
            "plan": plan.pk,
            "status": "committed" if options["commit"] else "draft",
            "source": source.name,
            "year": plan.fiscal_year,
            "start_month": plan.start_month.strftime("%Y-%m"),
            "months": plan.months,
            "monthly_cost": plan.monthly_cost,
            "budget_available": plan.budget_available,
            "capacity": plan.capacity,
            "selected": plan.selected,
            "cost": plan.cost,
            "remaining_to_commit": plan.budget_available - plan.cost,
            "enrolled": created,
            "by_district": selectors.plan_by_district(plan),
            "parts": _parts(selectors.plan_parts(plan)),
        }
        self.stdout.write(json.dumps(summary, indent=None if options["json"] else 2))


def _parts(parts: dict) -> dict:
    """Continued, new and dropped (by reason code) for the JSON summary."""
    return {
        "continued": parts["continued"]["workers"],
        "new": parts["new"]["workers"],
        "dropped": {d["reason"]: d["workers"] for d in parts["dropped"]},
    }
