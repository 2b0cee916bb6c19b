"""Telling the applicant when their application moves, through the notification hub.

Subscribes to ``procedures.application_<status>`` events (they run after the commit) and
queues one message in the applicant's preferred language with ``notify.services.send_to_user``;
the hub's outbox worker sends it, so the staff member's request never waits on the mail server.
Counter applications without an account get no message (the resident was at the counter).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from musubi.citizen.procedures import transitions
from musubi.citizen.procedures.models import Application, Status
from musubi.platform.events.services import subscribe
from musubi.platform.notify import services as notify

NOTIFIED = sorted({to for (_frm, to), rule in transitions.TABLE.items() if rule.notify_applicant})

#: The columns a status message needs. This read runs after every submission, inside the
#: resident's request, and building the full rows of three tables cost more than the query.
_READ = (
    "receipt_number",
    "procedure__name_ja",
    "procedure__name_en",
    "applicant__email",
    "applicant__preferred_language",
)


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


def email_applicant(
    *,
    application_id: int,
    to_status: str,
    message: str = "",
    notify_applicant: bool = False,
    **_payload: Any,
) -> None:
    """Queue the status message for one transition, if the table says the applicant is told."""
    if not notify_applicant:
        return
    application = (
        Application.objects.select_related("applicant", "procedure")
        .only(*_READ)
        .filter(pk=application_id)
        .first()
    )
    user = application.applicant if application else None
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


for _status in NOTIFIED:
    subscribe(f"procedures.application_{_status}")(email_applicant)
