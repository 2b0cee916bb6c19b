"""``musubi manage revoke_api_token NAME``: the token stops working at once."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from musubi.platform.api import services
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import append


class Command(BaseCommand):
    help = "Revoke an API token by name."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")

    def handle(self, *args, name: str, **options) -> None:
        try:
            with transaction.atomic():
                token = services.revoke_token(name)
                append(
                    actor="musubi manage",
                    action=Action.UPDATE.value,
                    subject_type="apitoken",
                    subject_id=str(token.pk),
                    what="API token revoked",
                )
        except services.TokenError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Revoked {token.name}.")
