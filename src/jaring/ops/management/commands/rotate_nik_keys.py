import json

from django.core.management.base import BaseCommand

from jaring.core.commands import write_summary
from jaring.ops.keys import remaining, rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt NIKs, other personal secrets and sealed files under the current key "
        "(JARING_NIK_KEY_ID / JARING_NIK_ENCRYPTION_KEY, old keys in JARING_NIK_OLD_KEYS) and "
        "recompute blind indexes under the current JARING_NIK_INDEX_KEY. In batches, each its "
        "own transaction; run it again to resume after an interruption."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--max-batches", type=int, help="stop after this many batches")
        parser.add_argument("--restart", action="store_true", help="ignore the checkpoints")
        parser.add_argument(
            "--status",
            action="store_true",
            help="only count ciphertexts not yet under the current key",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if options["status"]:
            self.stdout.write(json.dumps(remaining()))
            return
        progress = rotate(options["batch_size"], options["max_batches"], options["restart"])
        summary = {
            "checked": progress.checked,
            "resealed": progress.resealed,
            "reindexed": progress.reindexed,
            "history_rows": progress.history_rows,
            "files_resealed": progress.files_resealed,
            "finished": progress.finished,
        }
        write_summary(self.stdout, summary, options["json"])
        if options["json"]:
            return
        if not progress.finished:
            self.stdout.write("Stopped early: run the same command again to continue.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    "Done. When `--status` shows zeros everywhere, remove the old keys from "
                    "JARING_NIK_OLD_KEYS and restart."
                )
            )
