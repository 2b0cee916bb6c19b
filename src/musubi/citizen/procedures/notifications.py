"""Telling the applicant when their application moves, through the notification hub.

The lifecycle calls ``tell_applicant`` inside the move's own transaction whenever the table
says the applicant is told: the message is queued with ``notify.services.send_to_user`` and
commits exactly when the move does (no move without its message, no message for a move that
was rolled back). The hub's outbox worker sends it after the commit, so the resident's or staff
member's request never waits on the mail server. Counter applications without an account get
no message (the resident was at the counter).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from musubi.citizen.procedures.models import Application, Status
from musubi.platform.notify import services as notify


def _body(application: Application, to_status: str, message: str) -> str:
    lines = [
        _("%(procedure)s（受付番号 %(number)s）の状態が「%(status)s」になりました。")
        % {
            "procedure": _procedure_name(application),
            "number": application.receipt_number or "-",
            "status": Status(to_status).label,
        }
    ]
    if message:
        lines += ["", _("市からのお知らせ："), message]
    lines += ["", _("申請の状況は次のページで確認できます。"), f"{settings.SITE_URL}/procedures/"]
    return "\n".join(lines)


def _procedure_name(application: Application) -> str:
    procedure = application.procedure
    return procedure.name_en if translation.get_language() == "en" else procedure.name_ja


def tell_applicant(application: Application, to_status: str, message: str = "") -> None:
    """Queue the status message of one move in the applicant's language (no account or no
    address: nothing to send). Runs inside the move's transaction."""
    user = application.applicant
    if user is None or not user.email:
        return
    with translation.override(user.preferred_language or "ja"):
        subject = _("【%(procedure)s】申請の状況のお知らせ") % {
            "procedure": _procedure_name(application)
        }
        notify.send_to_user(
            user,
            subject,
            _body(application, to_status, message),
            language=translation.get_language(),
            source="procedures",
        )
