from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jaring.accounts.models import User
from jaring.claims.services import import_deaths
from jaring.core.commands import write_summary
from jaring.core.spreadsheets import FileRefused
from jaring.regions.models import Region


class Command(BaseCommand):
    help = "Claims from the command line: import-deaths matches a death list against coverage."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        deaths = commands.add_parser(
            "import-deaths", help="match a death list (NIK, name, date of death) with coverage"
        )
        deaths.add_argument("file", type=Path)
        deaths.add_argument("--region", required=True, help="kabupaten/kota code, e.g. 14.03")
        deaths.add_argument("--user", help="username recorded as the importer")
        deaths.add_argument("--json", action="store_true", help="print one JSON summary")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        region = Region.objects.filter(code=options["region"], level=2).first()
        if region is None:
            raise CommandError(f"{options['region']}: not a kabupaten/kota code")
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"{options['user']}: no such user")
        try:
            result = import_deaths(path, region, user)
        except FileRefused as exc:
            raise CommandError(str(exc)) from exc
        summary = {
            "rows": result.rows,
            "matched_covered": result.matched_covered,
            "claims_opened": result.claims_opened,
            "not_covered": result.not_covered,
            "unknown": result.unknown,
            "rejected": result.rejected,
        }
        write_summary(self.stdout, summary, options["json"], key_width=16)
