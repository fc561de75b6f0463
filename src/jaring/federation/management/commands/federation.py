from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from jaring.core.commands import write_summary
from jaring.federation import selectors, services


class Command(BaseCommand):
    help = (
        "Federation with a national hub over PostgreSQL logical replication (docs/SCALE.md). "
        "On a Pemda instance: publish (refresh the outbox), publication (create it once), "
        "follow-hub (receive the hub's findings), doubles (show them). At the hub: subscribe "
        "(to one instance), find-doubles, table (the national league table)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "action",
            choices=[
                "publish",
                "publication",
                "follow-hub",
                "doubles",
                "subscribe",
                "find-doubles",
                "table",
            ],
        )
        parser.add_argument("--instance", help="the instance to subscribe to (at the hub)")
        parser.add_argument("--conninfo", help="libpq connection string of the other side")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            summary = getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except (ImproperlyConfigured, ValidationError, DatabaseError) as error:
            raise CommandError(str(error)) from error
        write_summary(self.stdout, summary, options["json"])

    def _need(self, options, *names):
        missing = [f"--{name}" for name in names if not options[name]]
        if missing:
            raise CommandError(f"{options['action']} needs {', '.join(missing)}")

    def _publish(self, options):
        done = services.publish()
        return {
            "instance": done.instance,
            "facts": done.facts,
            "keys": done.keys,
            "withdrawn": done.withdrawn,
        }

    def _publication(self, options):
        return {"publication": services.create_instance_publication()}

    def _follow_hub(self, options):
        self._need(options, "conninfo")
        return {"subscription": services.follow_hub(options["conninfo"])}

    def _doubles(self, options):
        findings = [
            {**finding, "found_at": finding["found_at"].isoformat()}
            for finding in selectors.doubles_of(services.this_instance())
        ]
        return {"double_payments": len(findings), "findings": findings}

    def _subscribe(self, options):
        self._need(options, "instance", "conninfo")
        return {
            "subscription": services.subscribe_to_instance(options["instance"], options["conninfo"])
        }

    def _find_doubles(self, options):
        return {"double_payments": services.find_double_payments()}

    def _table(self, options):
        return {**selectors.national_totals(), "regencies_table": list(selectors.national_table())}
