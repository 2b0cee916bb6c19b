"""Who on the staff sees which applications, and the audit of what they open; shared by the
back-office pages (inbox and detail, bulk actions, KPI, counter mode).

Least privilege: a staff member sees only the applications of the departments whose role
grants ``procedures.view``; a page for one application answers 404 outside them.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy

from musubi.citizen.procedures.models import Application, Status
from musubi.platform.accounts import services as accounts
from musubi.platform.accounts.models import User
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import record

PURPOSE = gettext_lazy("申請の審査")
#: The staff's words for each move they can make (buttons, bulk actions).
ACTION_LABELS = {
    Status.RECEIVED: gettext_lazy("受け付ける"),
    Status.IN_REVIEW: gettext_lazy("審査を始める"),
    Status.CORRECTION_REQUESTED: gettext_lazy("差し戻す（補正を依頼）"),
    Status.APPROVED: gettext_lazy("承認する"),
    Status.REJECTED: gettext_lazy("却下する"),
    Status.COMPLETED: gettext_lazy("完了にする（交付済み）"),
}


def departments_of(user: Any, code: str = "procedures.view") -> list[Any]:
    """The departments where ``user``'s role grants ``code`` (least privilege)."""
    return accounts.departments_granting(user, code)


def application_for_staff(user: Any, pk: int) -> Application:
    """The application if it belongs to one of the user's departments, else 404 (no probing)."""
    found = (
        Application.objects.select_related("procedure", "form_version", "assignee", "resident")
        .exclude(status=Status.DRAFT)
        .filter(pk=pk, department__in=departments_of(user))
        .first()
    )
    if found is None:
        raise Http404
    return found


def colleagues(application: Application) -> list[User]:
    """Members of the application's department (who it can be assigned to)."""
    return list(
        User.objects.filter(memberships__department_id=application.department_id)
        .distinct()
        .order_by("email")
    )


def audit_read(request: HttpRequest, application: Application) -> None:
    """Every detail a staff member opens is in the audit trail before it is shown."""
    record(
        request,
        action=Action.READ,
        subject=application,
        what=f"application {application.receipt_number}",
        purpose=str(PURPOSE),
    )
