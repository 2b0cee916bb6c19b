"""Back office (職員用) pages of online procedures: the department inbox and an application's
detail with its actions (bulk actions: ``bulk_views``; KPI: ``kpi_views``; who sees what:
``staff_access``).

Least privilege: a staff member sees only the applications of the departments whose role
grants ``procedures.view``; every list and every detail is written to the audit trail before
it is shown. Every change names the version it was based on (``expected_version``); when
someone else got there first the page says what changed and keeps what was typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from musubi.citizen.procedures import services
from musubi.citizen.procedures.bulk_views import bulk_choices
from musubi.citizen.procedures.models import Application, Procedure, Status
from musubi.citizen.procedures.staff_access import (
    ACTION_LABELS,
    PURPOSE,
    application_for_staff,
    audit_read,
    colleagues,
    departments_of,
)
from musubi.platform.accounts.decorators import staff_required
from musubi.platform.accounts.models import User
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.forms import services as forms
from musubi.platform.signatures import services as signatures

PAGE_SIZE = 50
MINE = "mine"
SORTS = {
    "due": ("due_date", "submitted_at", "id"),
    "submitted": ("submitted_at", "id"),
    "-submitted": ("-submitted_at", "-id"),
    "receipt": ("receipt_number",),
    "status": ("status", "due_date", "id"),
}


# --- the inbox -------------------------------------------------------------------------------


class InboxForm(djforms.Form):
    """The inbox filters; every field optional, unknown values reported, not ignored."""

    status = djforms.ChoiceField(label=gettext_lazy("状態"), required=False)
    procedure = djforms.ChoiceField(label=gettext_lazy("手続"), required=False)
    assignee = djforms.ChoiceField(label=gettext_lazy("担当者"), required=False)
    overdue = djforms.BooleanField(label=gettext_lazy("処理期限を過ぎたもののみ"), required=False)
    q = djforms.CharField(label=gettext_lazy("受付番号・氏名"), required=False, max_length=100)
    sort = djforms.ChoiceField(label=gettext_lazy("並び順"), required=False)

    def __init__(self, data: Any, *, procedures: list[Procedure], staff: list[User]) -> None:
        super().__init__(data)
        self.procedures = {p.code: p for p in procedures}
        every = [("", _("すべて"))]
        self.fields["status"].choices = every + [
            (s.value, s.label) for s in Status if s != Status.DRAFT
        ]
        self.fields["procedure"].choices = every + [(p.code, str(p)) for p in procedures]
        self.fields["assignee"].choices = (
            every
            + [(MINE, _("自分")), (services.UNASSIGNED, _("未割当"))]
            + [(str(u.pk), str(u)) for u in staff]
        )
        self.fields["sort"].choices = [
            ("due", _("処理期限の近い順")),
            ("submitted", _("申請の古い順")),
            ("-submitted", _("申請の新しい順")),
            ("receipt", _("受付番号順")),
            ("status", _("状態順")),
        ]

    def filters(self, user: Any) -> services.InboxFilters:
        data = self.cleaned_data
        assignee = data["assignee"] or None
        if assignee == MINE:
            assignee = user.pk
        elif assignee not in (None, services.UNASSIGNED):
            assignee = int(assignee)
        return services.InboxFilters(
            status=data["status"] or None,
            # the row already read: the inbox then filters on the column, with no join
            procedure=self.procedures.get(data["procedure"]),
            overdue=data["overdue"],
            assignee=assignee,
            text=data["q"],
        )


def inbox_page(user: Any, params: Any) -> dict[str, Any]:
    """Everything the inbox shows (also measured by ``benchmarks/procedure_inbox.py``)."""
    departments = departments_of(user)
    procedures = list(Procedure.objects.filter(department__in=departments).order_by("order"))
    staff = list(
        User.objects.filter(memberships__department__in=departments).distinct().order_by("email")
    )
    form = InboxForm(params, procedures=procedures, staff=staff)
    if not form.is_valid():
        return {"form": form, "page": None, "counts": [], "departments": departments}
    found = services.inbox(departments, form.filters(user))
    found = found.order_by(*SORTS[form.cleaned_data["sort"] or "due"])
    page = _page_of(found, params.get("page"))
    return {
        "form": form,
        "page": page,
        "counts": status_counts(departments),
        "departments": departments,
        "today": timezone.localdate(),
    }


def _page_of(found: Any, number: Any) -> Any:
    """One page, sorted by ids first: the database then sorts narrow rows (keys and ids), not
    whole applications with their answers, and only the page's rows are read (answers aside:
    the list does not show them). Those rows are read by id alone: with the filters again,
    the database may walk the department's index to find its 50 rows."""
    page = Paginator(found.values_list("pk", flat=True), PAGE_SIZE).get_page(number)
    ids = list(page.object_list)
    rows = services.inbox_rows(ids)
    page.object_list = [rows[pk] for pk in ids]
    return page


def status_counts(departments: list[Any]) -> list[tuple[str, int]]:
    """Applications per status in the departments: one grouped query over the index."""
    rows = (
        Application.objects.filter(department__in=departments)
        .exclude(status=Status.DRAFT)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    found = dict(rows)
    return [(s.label, found.get(s.value, 0)) for s in Status if s != Status.DRAFT]


@staff_required("procedures.view")
def inbox(request: HttpRequest) -> HttpResponse:
    context = inbox_page(request.user, request.GET)
    if context["page"] is not None:
        record(
            request,
            action=Action.SEARCH,
            subject=Subject("application", "inbox"),
            what=_query_text(request.GET),
            purpose=str(PURPOSE),
        )
    query = request.GET.copy()
    query.pop("page", None)
    context["query"] = query.urlencode()
    context["bulk_actions"] = bulk_choices()
    return render(request, "procedures/staff/inbox.html", context)


def _query_text(params: Any) -> str:
    kept = {k: v for k, v in params.items() if k != "page" and v}
    return ("inbox " + " ".join(f"{k}={v}" for k, v in sorted(kept.items())))[:200]


# --- one application -------------------------------------------------------------------------


def present(definition: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
    """The answers as the form asked them: steps → labelled values; groups as tables."""
    form = forms.FormDefinition.from_dict(definition)
    steps = []
    for step in form.steps:
        answers = [_present_field(item, data) for item in step.fields if item.id in data]
        if answers:
            steps.append({"title": forms.localize(step.title), "answers": answers})
    return steps


def _present_field(item: Any, data: dict[str, Any]) -> dict[str, Any]:
    value = data.get(item.id)
    answer: dict[str, Any] = {"id": item.id, "label": forms.localize(item.label)}
    if item.widget == "group":
        answer["headers"] = [forms.localize(child.label) for child in item.fields]
        answer["rows"] = [
            [
                forms.FIELD_TYPES[child.widget].display(row.get(child.id), child)
                if row.get(child.id) not in (None, "")
                else ""
                for child in item.fields
            ]
            for row in value or []
        ]
    else:
        answer["text"] = forms.FIELD_TYPES[item.widget].display(value, item)
    return answer


def detail_context(request: HttpRequest, application: Application, **extra: Any) -> dict:
    allowed = services.allowed_transitions(application, request.user)
    return {
        "application": application,
        "answers": present(application.form_version.definition, application.data),
        "attachments": list(application.attachments.select_related("file")),
        "signatures": list(signatures.signatures_of(application)),
        "transitions": list(application.transitions.select_related("actor")),
        "comments": list(application.comments.select_related("author")),
        "actions": [(s, ACTION_LABELS.get(s, s)) for s in allowed],
        "needs_message": {Status.CORRECTION_REQUESTED, Status.REJECTED},
        "colleagues": colleagues(application),
        "may_process": any(
            d.pk == application.department_id
            for d in departments_of(request.user, "procedures.process")
        ),
        "loaded_at": timezone.now().isoformat(),
        "today": timezone.localdate(),
        **extra,
    }


@staff_required("procedures.view")
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for_staff(request.user, pk)
    audit_read(request, application)
    return render(request, "procedures/staff/detail.html", detail_context(request, application))


def _expected_version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("expected_version", ""))
    except ValueError:
        return None


def _changes_since(application: Application, loaded_at: str) -> dict[str, Any]:
    """What others did after the page was loaded: their status moves and comments."""
    since = parse_datetime(loaded_at or "") or (timezone.now() - dt.timedelta(hours=1))
    return {
        "moves": list(application.transitions.filter(at__gt=since).select_related("actor")),
        "notes": list(application.comments.filter(at__gt=since).select_related("author")),
    }


def _refused(
    request: HttpRequest, pk: int, error: services.ProcedureError, typed: dict[str, str]
) -> HttpResponse:
    """Show the page again, current state first, with the message and what was typed."""
    application = application_for_staff(request.user, pk)
    audit_read(request, application)
    extra: dict[str, Any] = {"error": error.message, "typed": typed}
    if isinstance(error, services.StaleEdit):
        extra["stale"] = _changes_since(application, request.POST.get("loaded_at", ""))
    context = detail_context(request, application, **extra)
    return render(request, "procedures/staff/detail.html", context, status=409)


@require_POST
@staff_required("procedures.view")
def act(request: HttpRequest, pk: int) -> HttpResponse:
    """One status move from the detail page (受付・審査・差戻し・承認・却下・完了)."""
    application = application_for_staff(request.user, pk)
    to_status = request.POST.get("to_status", "")
    message = request.POST.get("message", "")
    typed = {"to_status": to_status, "message": message}
    version = _expected_version(request)
    if to_status not in Status.values or version is None:
        error = services.TransitionNotAllowed(gettext_lazy("操作の指定が正しくありません。"))
        return _refused(request, pk, error, typed)
    try:
        services.transition(
            application, to_status, actor=request.user, message=message, expected_version=version
        )
    except services.ProcedureError as exc:
        return _refused(request, pk, exc, typed)
    messages.success(
        request, _("状態を「%(status)s」にしました。") % {"status": Status(to_status).label}
    )
    return redirect("procedures:staff_detail", pk=pk)


@require_POST
@staff_required("procedures.process")
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Take an application (「自分が担当」) or give it to a colleague of the department."""
    application = application_for_staff(request.user, pk)
    chosen = request.POST.get("assignee", "")
    typed = {"assignee": chosen}
    version = _expected_version(request)
    staff = _chosen_staff(request.user, chosen)
    if version is None or staff is False:
        error = services.TransitionNotAllowed(gettext_lazy("担当者の指定が正しくありません。"))
        return _refused(request, pk, error, typed)
    try:
        services.assign(application, staff, actor=request.user, expected_version=version)
    except services.ProcedureError as exc:
        return _refused(request, pk, exc, typed)
    messages.success(request, _("担当者を変更しました。"))
    return redirect("procedures:staff_detail", pk=pk)


def _chosen_staff(user: Any, chosen: str) -> Any:
    """``me`` → the user, an id → that user, empty → nobody (release); False if unknown."""
    if chosen == "me":
        return user
    if chosen == "":
        return None
    if not chosen.isdigit():
        return False
    return User.objects.filter(pk=int(chosen)).first() or False


@require_POST
@staff_required("procedures.view")
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an internal note (職員間のメモ); never shown to the applicant."""
    application = application_for_staff(request.user, pk)
    text = request.POST.get("text", "")
    try:
        services.add_comment(application, text, actor=request.user)
    except services.InvalidSubmission as exc:
        error = services.TransitionNotAllowed(exc.errors.get("text", exc.message))
        return _refused(request, pk, error, {"comment": text})
    except services.ProcedureError as exc:
        return _refused(request, pk, exc, {"comment": text})
    messages.success(request, _("コメントを追加しました。"))
    return redirect(reverse("procedures:staff_detail", args=[pk]) + "#comments")
