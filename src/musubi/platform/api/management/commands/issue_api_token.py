"""``musubi manage issue_api_token NAME --department CODE --scope X [--scope Y]``."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from musubi.platform.api import services
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import append


class Command(BaseCommand):
    help = "Issue a scoped API token for a machine client; the key is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="a unique name saying which system uses the token")
        parser.add_argument("--department", required=True, help="department code, e.g. shimin")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            dest="scopes",
            help="a permission code, e.g. residents.view (repeatable)",
        )
        parser.add_argument("--expires-days", type=int, help="valid for N days (default: no end)")

    def handle(self, *args, name: str, department: str, scopes: list[str], **options) -> None:
        try:
            with transaction.atomic():  # no token without its audit row
                token, key = services.issue_token(name, department, scopes, options["expires_days"])
                append(
                    actor="musubi manage",
                    action=Action.CREATE.value,
                    subject_type="apitoken",
                    subject_id=str(token.pk),
                    what="API token issued",
                )
        except services.TokenError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(key)
        self.stderr.write(
            f"Issued {token.name} for {token.department.code} with {', '.join(token.scopes)}. "
            "The key above is shown only now."
        )
