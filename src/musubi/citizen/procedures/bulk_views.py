"""Bulk actions of the back office: several applications received, put in review or taken
on at once — after a confirmation that lists what will happen to each — with a result per
application (each under its own ``expected_version``, so one stale edit spoils no other).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from musubi.citizen.procedures import services
from musubi.citizen.procedures.models import Application, Status
from musubi.citizen.procedures.staff_access import ACTION_LABELS, audit_read, departments_of
from musubi.platform.accounts.decorators import staff_required

#: What bulk actions may do: a status move, or an assignment to the acting staff member.
BULK_MOVES = {"receive": Status.RECEIVED, "start_review": Status.IN_REVIEW}
BULK_ASSIGN_ME = "assign_me"


def bulk_choices() -> list[tuple[str, Any]]:
    return [
        ("receive", ACTION_LABELS[Status.RECEIVED]),
        ("start_review", ACTION_LABELS[Status.IN_REVIEW]),
        (BULK_ASSIGN_ME, gettext_lazy("自分が担当する")),
    ]


def _selected(request: HttpRequest) -> list[tuple[Application, int | None]]:
    """The ticked applications of the user's departments, each with the version shown."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    found = (
        Application.objects.filter(pk__in=ids, department__in=departments_of(request.user))
        .exclude(status=Status.DRAFT)
        .select_related("procedure", "assignee")
        .order_by("due_date", "id")
    )
    chosen = []
    for app in found:
        raw = request.POST.get(f"version_{app.pk}", "")
        chosen.append((app, int(raw) if raw.isdigit() else None))
    return chosen


def _foreseen(application: Application, action: str, user: Any) -> str:
    """What will happen to one application, or why it will not (shown before confirming)."""
    if action == BULK_ASSIGN_ME:
        if not any(
            d.pk == application.department_id for d in departments_of(user, "procedures.process")
        ):
            return _("この操作を行う権限がありません。")
        return ""
    if BULK_MOVES[action] not in services.allowed_transitions(application, user):
        return _("この申請には、この操作を行えません。")
    return ""


def _apply(application: Application, action: str, version: int | None, user: Any) -> str:
    """Do one bulk step; the error message if it failed ("" on success)."""
    if version is None:
        return _("操作の指定が正しくありません。")
    try:
        if action == BULK_ASSIGN_ME:
            services.assign(application, user, actor=user, expected_version=version)
        else:
            services.transition(
                application, BULK_MOVES[action], actor=user, expected_version=version
            )
    except services.ProcedureError as exc:
        return exc.message
    return ""


@require_POST
@staff_required("procedures.view")
def bulk(request: HttpRequest) -> HttpResponse:
    """Select several → a confirmation listing what will happen → per-application results."""
    action = request.POST.get("action", "")
    chosen = _selected(request)
    if action not in {*BULK_MOVES, BULK_ASSIGN_ME} or not chosen:
        messages.error(request, _("申請と操作を選んでください。"))
        return redirect("procedures:staff_inbox")
    label = dict(bulk_choices())[action]
    for app, _version in chosen:
        audit_read(request, app)
    if request.POST.get("confirmed") != "yes":
        plan = [(app, version, _foreseen(app, action, request.user)) for app, version in chosen]
        context = {"action": action, "label": label, "plan": plan}
        return render(request, "procedures/staff/bulk_confirm.html", context)
    results = [(app, _apply(app, action, version, request.user)) for app, version in chosen]
    done = sum(1 for _app, error in results if not error)
    context = {"label": label, "results": results, "done": done, "failed": len(results) - done}
    return render(request, "procedures/staff/bulk_result.html", context)
