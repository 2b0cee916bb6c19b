"""Why a procedure operation was refused: in the user's language, or in every one (for APIs)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from musubi.platform.languages import LocalizedError


class ProcedureError(LocalizedError):
    """Base of every refusal of this app (``message``, ``messages()``)."""


class TransitionNotAllowed(ProcedureError):
    """The move is not in the table, or this actor may not make it, or a message is missing."""


class StaleEdit(ProcedureError):
    """Someone changed the application since the caller loaded it (optimistic lock)."""


class ProcedureUnavailable(ProcedureError):
    """The procedure is not accepting applications (inactive, no published form, wrong channel)."""


class InvalidSubmission(ProcedureError):
    """The data, attachments or signature do not pass; ``errors`` maps field name → message.

    Field names are the form engine's input names (``applicant_kana``, ``children-0-birthdate``);
    ``attachments:<code>`` for a missing document and ``signature`` for the signature.
    """

    def __init__(self, errors: dict[str, str], text: Any = None) -> None:
        self.errors = dict(errors)
        super().__init__(text or gettext_lazy("入力内容に誤りがあります。"))


class InvalidDefinition(ProcedureError):
    """A form definition (or catalogue entry) does not pass ``check_definition``."""

    def __init__(self, problems: list[str], text: Any = None) -> None:
        self.problems = list(problems)
        super().__init__(text or gettext_lazy("様式の定義に誤りがあります。"))
