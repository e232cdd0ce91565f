"""Create the `admin` account with a generated password if it does not exist (docker compose's first start)."""
from django.core.management.base import BaseCommand

from designer.core.bootstrap import ADMIN, ensure_admin


class Command(BaseCommand):
    help = "Create the admin account once, printing its generated password once."

    def handle(self, *args, **options):
        password = ensure_admin()
        if password:
            self.stdout.write(f"Created {ADMIN} with password: {password} (shown only this once)")
        else:
            self.stdout.write(f"{ADMIN} exists; to reset its password: manage.py changepassword {ADMIN}")
