from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from jaring.accounts.models import User
from jaring.claims.services import import_claim_report, import_deaths
from jaring.core.commands import write_summary
from jaring.core.spreadsheets import FileRefused
from jaring.regions.models import Region


class Command(BaseCommand):
    help = (
        "Claims from the command line: import-deaths matches a death list against coverage; "
        "import-report applies a BPJS branch's claim report / benefit payment report."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        deaths = commands.add_parser(
            "import-deaths", help="match a death list (NIK, name, date of death) with coverage"
        )
        deaths.add_argument("file", type=Path)
        deaths.add_argument("--region", required=True, help="kabupaten/kota code, e.g. 14.03")
        deaths.add_argument("--user", help="username recorded as the importer")
        deaths.add_argument("--json", action="store_true", help="print one JSON summary")
        report = commands.add_parser(
            "import-report",
            help="apply the branch's claim report: receipts, decisions and payments per claim",
        )
        report.add_argument("file", type=Path)
        report.add_argument("--region", required=True, help="kabupaten/kota code, e.g. 14.03")
        report.add_argument("--user", help="username recorded as the importer (a BPJS officer)")
        report.add_argument("--json", action="store_true", help="print one JSON summary")

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
        if options["command"] == "import-report":
            self._import_report(path, region, user, options["json"])
            return
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

    def _import_report(self, path: Path, region, user, as_json: bool) -> None:
        try:
            result = import_claim_report(path, region, user)
        except FileRefused as exc:
            raise CommandError(str(exc)) from exc
        except PermissionDenied as exc:
            raise CommandError(f"{user}: may not record BPJS's claims in {region.code}") from exc
        write_summary(self.stdout, result.summary(), as_json, key_width=10)
