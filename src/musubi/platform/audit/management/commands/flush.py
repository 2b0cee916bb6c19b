"""Django's ``flush``, able to empty the append-only audit table.

Flushing removes every row of every table (a full reset, or the end of a
transactional test), so the audit triggers are lifted for the flush only and put
back afterwards, even if the flush fails.
"""

from django.core.management.commands import flush
from django.db import connections

from musubi.platform.audit import guard


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        guard.remove(connection)
        try:
            return super().handle(**options)
        finally:
            guard.install(connection)
