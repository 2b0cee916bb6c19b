"""Load departments and role grants from the accounts app's data files (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from musubi.platform.accounts import services


class Command(BaseCommand):
    help = "Make the departments and permission grants match data/departments.json and grants.json."

    def handle(self, *args, **options) -> None:
        try:
            counts = services.sync_reference_data()
        except services.ReferenceDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(", ".join(f"{n} {what}" for what, n in counts.items()))
