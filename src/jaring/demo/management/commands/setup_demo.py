from django.core.management.base import BaseCommand

from jaring.demo.seed import (
    DEMO_PASSWORD,
    import_demo_workers,
    seed_demo_reports,
    seed_demo_story,
    setup_demo,
)


class Command(BaseCommand):
    help = "Create the demo offices and one user per role in Kabupaten Bengkalis. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--users-only", action="store_true", help="only offices and users, no registry or money"
        )

    def handle(self, *args, **options):
        users = setup_demo()
        if not options["users_only"]:
            by_name = {user.username: user for user, _ in users}
            self.stdout.write("Preparing the demo registry and budget (first run only)...")
            import_demo_workers(by_name["operator"])
            seed_demo_story(by_name)
            seed_demo_reports(by_name["operator"])
        self.stdout.write(self.style.SUCCESS("Demo Kabupaten Bengkalis ready. Logins:"))
        for user, label in users:
            self.stdout.write(f"  {user.username:<22} {DEMO_PASSWORD}   {label}")
