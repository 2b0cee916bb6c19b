"""Print the current second-factor code of the demo staff logins (demo instances only)."""

import pyotp
from django.core.management.base import BaseCommand, CommandError

from musubi.platform.accounts import demo


class Command(BaseCommand):
    help = "Print the current TOTP code shared by the demo staff accounts."

    def handle(self, *args, **options) -> None:
        if not demo.has_demo_accounts():
            raise CommandError(
                "No demo staff accounts here: this command only works on a demo instance "
                "(run `musubi seed-demo` first)."
            )
        totp = pyotp.TOTP(demo.DEMO_TOTP_SECRET)
        self.stdout.write(totp.now())
