from django.core.management.base import BaseCommand

from jaring.accounts.demo import DEMO_PASSWORD, import_demo_workers, setup_demo


class Command(BaseCommand):
    help = "Create the demo offices and one user per role in Kabupaten Bengkalis. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--no-workers", action="store_true", help="skip the demo registry")

    def handle(self, *args, **options):
        users = setup_demo()
        if not options["no_workers"]:
            import_demo_workers(next(user for user, _ in users if user.username == "operator"))
        self.stdout.write(self.style.SUCCESS("Demo Kabupaten Bengkalis ready. Logins:"))
        for user, label in users:
            self.stdout.write(f"  {user.username:<22} {DEMO_PASSWORD}   {label}")
