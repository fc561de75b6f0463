from django.core.management.base import BaseCommand, CommandError

from jaring.core.commands import write_summary
from jaring.ops.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup into an EMPTY database (DATABASE_URL) and media folder, then verify "
        "row counts against the backup's manifest and that stored NIKs decrypt and match their "
        "blind index under the NIK keys of this environment."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="a jaring-backup-….tar.age file")
        parser.add_argument("--identity", required=True, help="the age private key file")
        parser.add_argument(
            "--allow-other-keys",
            action="store_true",
            help="restore even though the NIK key fingerprints differ",
        )
        parser.add_argument("--sample", type=int, default=2000, help="NIKs to check")
        parser.add_argument("--json", action="store_true", help="print a JSON summary")

    def handle(self, *args, **options):
        try:
            result = restore_backup(
                options["backup"],
                options["identity"],
                options["allow_other_keys"],
                options["sample"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        summary = {
            "created_at": result.manifest["created_at"],
            "jaring_version": result.manifest["jaring_version"],
            "tables": len(result.counts),
            "rows": sum(result.counts.values()),
            "mismatched": result.mismatched,
            "niks_checked": result.niks_checked,
            "niks_failed": result.niks_failed,
            "media_files": result.media_files,
        }
        write_summary(self.stdout, summary, options["json"])
        if result.mismatched or result.niks_failed:
            raise CommandError("the restored data does not match the backup (see above)")
        if not options["json"]:
            self.stdout.write(
                self.style.SUCCESS(
                    "Restore verified. Run `jaring upgrade` if this code is newer than the backup."
                )
            )
