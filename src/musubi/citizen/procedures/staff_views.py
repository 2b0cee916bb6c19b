"""Back office (職員用) pages of online procedures: the department inbox, an application's detail
with its actions, bulk actions and the KPI dashboard.

Least privilege: a staff member sees only the applications of the departments whose role
grants ``procedures.view``; every list and every detail is written to the audit trail before
it is shown. Every change names the version it was based on (``expected_version``); when
someone else got there first the page says what changed and keeps what was typed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django import forms as djforms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from musubi.citizen.procedures import kpi as kpi_figures
from musubi.citizen.procedures import services
from musubi.citizen.procedures.models import Application, Procedure, Status
from musubi.platform.accounts import services as accounts
from musubi.platform.accounts.decorators import staff_required
from musubi.platform.accounts.models import User
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.forms import services as forms
from musubi.platform.signatures import services as signatures

PAGE_SIZE = 50
MINE = "mine"
PURPOSE = gettext_lazy("申請の審査")
SORTS = {
    "due": ("due_date", "submitted_at", "id"),
    "submitted": ("submitted_at", "id"),
    "-submitted": ("-submitted_at", "-id"),
    "receipt": ("receipt_number",),
    "status": ("status", "due_date", "id"),
}
#: What bulk actions may do: a status move, or an assignment to the acting staff member.
BULK_MOVES = {"receive": Status.RECEIVED, "start_review": Status.IN_REVIEW}
BULK_ASSIGN_ME = "assign_me"


# --- who sees what ---------------------------------------------------------------------------


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
            procedure=data["procedure"] or None,
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
    page = Paginator(found, PAGE_SIZE).get_page(params.get("page"))
    return {
        "form": form,
        "page": page,
        "counts": status_counts(departments),
        "departments": departments,
        "today": timezone.localdate(),
    }


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


ACTION_LABELS = {
    Status.RECEIVED: gettext_lazy("受け付ける"),
    Status.IN_REVIEW: gettext_lazy("審査を始める"),
    Status.CORRECTION_REQUESTED: gettext_lazy("差し戻す（補正を依頼）"),
    Status.APPROVED: gettext_lazy("承認する"),
    Status.REJECTED: gettext_lazy("却下する"),
    Status.COMPLETED: gettext_lazy("完了にする（交付済み）"),
}


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


def _audit_read(request: HttpRequest, application: Application) -> None:
    record(
        request,
        action=Action.READ,
        subject=application,
        what=f"application {application.receipt_number}",
        purpose=str(PURPOSE),
    )


@staff_required("procedures.view")
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for_staff(request.user, pk)
    _audit_read(request, application)
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
    _audit_read(request, application)
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


# --- bulk actions ----------------------------------------------------------------------------


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
        _audit_read(request, app)
    if request.POST.get("confirmed") != "yes":
        plan = [(app, version, _foreseen(app, action, request.user)) for app, version in chosen]
        context = {"action": action, "label": label, "plan": plan}
        return render(request, "procedures/staff/bulk_confirm.html", context)
    results = [(app, _apply(app, action, version, request.user)) for app, version in chosen]
    done = sum(1 for _app, error in results if not error)
    context = {"label": label, "results": results, "done": done, "failed": len(results) - done}
    return render(request, "procedures/staff/bulk_result.html", context)


# --- KPI -------------------------------------------------------------------------------------


def _hours(duration: dt.timedelta | None) -> float | None:
    return duration.total_seconds() / 3600 if duration is not None else None


def _percent(share: float | None) -> float | None:
    return round(100 * share, 1) if share is not None else None


def kpi_rows(departments: list[Any]) -> list[dict[str, Any]]:
    """The core KPI (``kpi.procedure_kpis``) of the departments' procedures, as table rows."""
    mine = {d.pk for d in departments}
    return [
        {
            "procedure": str(figures.procedure),
            "count": figures.submitted,
            "online": figures.by_channel.get("online", 0),
            "counter": figures.by_channel.get("counter", 0),
            "online_share": _percent(figures.online_share),
            "first_median": _hours(figures.median_to_first_action),
            "first_p90": _hours(figures.p90_to_first_action),
            "completed": figures.completed,
            "done_median": _hours(figures.median_to_completion),
            "done_p90": _hours(figures.p90_to_completion),
        }
        for figures in kpi_figures.procedure_kpis()
        if figures.procedure.department_id in mine
    ]


KPI_COLUMNS = (
    ("procedure", gettext_lazy("手続")),
    ("count", gettext_lazy("申請件数")),
    ("online", gettext_lazy("オンライン")),
    ("counter", gettext_lazy("窓口")),
    ("online_share", gettext_lazy("オンライン率（%）")),
    ("first_median", gettext_lazy("初回対応まで 中央値（時間）")),
    ("first_p90", gettext_lazy("初回対応まで 90パーセンタイル（時間）")),
    ("completed", gettext_lazy("完了件数")),
    ("done_median", gettext_lazy("完了まで 中央値（時間）")),
    ("done_p90", gettext_lazy("完了まで 90パーセンタイル（時間）")),
)


def _kpi_cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@staff_required("procedures.view")
def kpi(request: HttpRequest) -> HttpResponse:
    rows = kpi_rows(departments_of(request.user))
    table = [[_kpi_cell(row[key]) for key, _label in KPI_COLUMNS] for row in rows]
    context = {"headers": [label for _key, label in KPI_COLUMNS], "table": table}
    return render(request, "procedures/staff/kpi.html", context)


@staff_required("procedures.view")
def kpi_csv(request: HttpRequest) -> HttpResponse:
    """The same table as CSV (UTF-8 with BOM, opens in Excel)."""
    rows = kpi_rows(departments_of(request.user))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(label) for _key, label in KPI_COLUMNS])
    for row in rows:
        writer.writerow([_kpi_cell(row[key]) for key, _label in KPI_COLUMNS])
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="procedures-kpi.csv"'
    return response
