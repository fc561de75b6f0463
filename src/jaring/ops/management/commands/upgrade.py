from importlib.metadata import version

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "After installing a new release: migrate the database, load the shipped reference "
        "regions (idempotent), collect static files; then says what to restart."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--backup", action="store_true", help="write a backup first (jaring backup)"
        )
        parser.add_argument("--no-static", action="store_true", help="skip collectstatic")

    def handle(self, *args, **options):
        self.stdout.write(f"Jaring {version('jaring')}")
        if options["backup"]:
            call_command("backup", stdout=self.stdout)
        call_command("migrate", interactive=False, verbosity=1, stdout=self.stdout)
        call_command("load_regions", stdout=self.stdout)
        if not options["no_static"] and settings.STATIC_MANIFEST:
            call_command("collectstatic", interactive=False, verbosity=0)
            self.stdout.write(f"Static files collected in {settings.STATIC_ROOT}")
        self.stdout.write(
            self.style.SUCCESS(
                "Upgrade done. Now restart the services: "
                "sudo systemctl restart jaring-web jaring-worker"
            )
        )
