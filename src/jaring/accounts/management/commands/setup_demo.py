from django.core.management.base import BaseCommand

from jaring.accounts.demo import DEMO_PASSWORD, setup_demo


class Command(BaseCommand):
    help = "Create the demo offices and one user per role in Kabupaten Bengkalis. Idempotent."

    def handle(self, *args, **options):
        users = setup_demo()
        self.stdout.write(self.style.SUCCESS("Demo Kabupaten Bengkalis ready. Logins:"))
        for user, label in users:
            self.stdout.write(f"  {user.username:<22} {DEMO_PASSWORD}   {label}")
