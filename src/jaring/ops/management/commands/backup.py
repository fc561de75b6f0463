import json

from django.core.management.base import BaseCommand, CommandError

from jaring.ops.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Write an encrypted backup (consistent database dump + uploaded files) and rotate old "
        "ones. Run daily by the jaring-backup.timer systemd unit."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="where to write (default JARING_BACKUP_DIR)")
        parser.add_argument("--keep", help="retention, e.g. 7d,4w,12m (default JARING_BACKUP_KEEP)")
        parser.add_argument("--json", action="store_true", help="print a JSON summary")

    def handle(self, *args, **options):
        try:
            result = create_backup(options["dir"], options["keep"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "path": str(result.path),
                        "bytes": result.size,
                        "rows": sum(result.counts.values()),
                        "removed": [str(path) for path in result.removed],
                    }
                )
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written: {result.path} ({result.size:,} bytes, "
                f"{sum(result.counts.values()):,} rows in {len(result.counts)} tables)"
            )
        )
        for path in result.removed:
            self.stdout.write(f"Rotated out: {path.name}")
        self.stdout.write("Copy it off this server (docs/DEPLOY.md, 'Backups').")
