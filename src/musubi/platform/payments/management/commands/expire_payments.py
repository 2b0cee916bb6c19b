"""``musubi manage expire_payments``: expire unpaid payments past their due time (run from cron)."""

from django.core.management.base import BaseCommand

from musubi.platform.payments import services


class Command(BaseCommand):
    help = "Expire unpaid payments whose due time has passed (publishes payments.expired)."

    def handle(self, *args, **options) -> None:
        count = services.expire_unpaid()
        self.stdout.write(f"{count} payment(s) expired")
