import datetime
import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from jaring.core import partitions


class Command(BaseCommand):
    help = (
        "Monthly partitions of the big tables (PostgreSQL): create this month's and the next "
        "months' ahead, list them with their row counts, and detach (never drop) those older "
        "than a retention. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--ahead",
            type=int,
            default=partitions.AHEAD_MONTHS,
            help=f"months to create beyond this one (default {partitions.AHEAD_MONTHS})",
        )
        parser.add_argument(
            "--table",
            action="append",
            choices=[spec.table for spec in partitions.TABLES],
            help="only this table (repeatable; required with --retain-months)",
        )
        parser.add_argument(
            "--retain-months",
            type=int,
            help="detach the partitions of months older than this many months before this "
            "month; each stays a standalone table with its rows, to archive then drop by hand",
        )
        parser.add_argument(
            "--closed-invoice-months",
            action="store_true",
            help="allow --retain-months on the invoice lines: a detached month's lines leave "
            "its invoices, payments and paid-through months, so only for months closed and "
            "archived",
        )
        parser.add_argument("--date", help="today (YYYY-MM-DD; for tests and catch-up)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("partitions: PostgreSQL only (SQLite keeps plain tables)")
            return
        if options["ahead"] < 0:
            raise CommandError("--ahead must be 0 or more")
        retain = options["retain_months"]
        if retain is not None and (retain < 1 or not options["table"]):
            raise CommandError("--retain-months needs a number of months ≥ 1 and --table")
        if (
            retain is not None
            and partitions.INVOICE_LINES.table in options["table"]
            and not options["closed_invoice_months"]
        ):
            raise CommandError(
                "detaching invoice lines takes them out of their invoices, payments and "
                "paid-through months: add --closed-invoice-months once those months are closed "
                "and archived"
            )
        try:
            today = (
                datetime.date.fromisoformat(options["date"])
                if options["date"]
                else timezone.localdate()
            )
        except ValueError as exc:
            raise CommandError("--date is YYYY-MM-DD") from exc
        chosen = options["table"] or [spec.table for spec in partitions.TABLES]
        report = []
        for spec in partitions.TABLES:
            if spec.table not in chosen:
                continue
            with transaction.atomic():
                created = partitions.ensure_ahead(spec, today, options["ahead"])
                detached = []
                if retain is not None:
                    cutoff = partitions.add_months(partitions.first_of_month(today), -retain)
                    detached = partitions.detach_before(spec, cutoff)
            # Counted after the commit: the changes above lock the table until then.
            listed = partitions.partitions(spec)
            report.append(
                {
                    "table": spec.table,
                    "created": created,
                    "detached": [{"table": d.name, "rows": d.rows} for d in detached],
                    "partitions": [{"table": p.name, "rows": p.rows} for p in listed],
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        for entry in report:
            self.stdout.write(f"{entry['table']}:")
            for name in entry["created"]:
                self.stdout.write(f"  created {name}")
            for partition in entry["partitions"]:
                self.stdout.write(f"  {partition['table']:<48} {partition['rows']:>12,} rows")
            for gone in entry["detached"]:
                self.stdout.write(
                    f"  DETACHED {gone['table']} ({gone['rows']:,} rows): no longer part of "
                    f"{entry['table']}; it is kept as a standalone table — archive it "
                    f"(pg_dump -t {gone['table']}) before dropping it by hand"
                )
