"""Posting and overseeing circulars, for 区長・組長 (``/circulars/lead/…``, resident portal) and
city staff with ``circulars.post`` (``/circulars/staff/…``, staff portal, second factor).

Both use the same views; what differs is the ``Scope`` (which portal, which URL names) and the
``Jurisdiction`` (a leader's areas, or the whole city). Every view of households' reads and
replies writes an audit row before showing them.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from musubi.community.circulars import notifications, oversight, services
from musubi.community.circulars import paper as paper_sheet
from musubi.community.circulars.forms import PostForm
from musubi.community.circulars.leaders import CITY_WIDE, Jurisdiction, jurisdiction_of
from musubi.community.circulars.models import Circular
from musubi.community.circulars.permissions import POST
from musubi.community.circulars.views import file_response
from musubi.platform.accounts.decorators import staff_required
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import record


@dataclass(frozen=True)
class Scope:
    prefix: str
    base: str

    def url(self, name: str, *args: Any) -> str:
        return reverse(f"circulars:{self.prefix}_{name}", args=args)

    def links(self, circular: Circular) -> dict[str, str]:
        names = ("detail", "csv", "print", "paper", "withdraw")
        return {name: self.url(name, circular.pk) for name in names}

    def files(self, circular: Circular) -> list[tuple[Any, str]]:
        """Each attachment's stored file with the URL this portal serves it at."""
        found = circular.attachments.select_related("file")
        return [(a.file, self.url("file", circular.pk, a.file_id)) for a in found]


LEAD = Scope("lead", "ui/resident_base.html")
STAFF = Scope("staff", "ui/staff_base.html")
View = Callable[..., HttpResponse]


def for_leaders(view: View) -> View:
    """A serving 区長・組長 (signed in as the linked resident) sees the view for their areas."""

    @wraps(view)
    def leader_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        where = jurisdiction_of(request.user)
        if not where:
            return render(request, "circulars/not_leader.html", status=403)
        return view(request, LEAD, where, *args, **kwargs)

    return login_required(leader_view)


def for_staff(view: View) -> View:
    """Staff granted ``circulars.post`` see the view for every 区."""

    @wraps(view)
    def staff_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, STAFF, CITY_WIDE, *args, **kwargs)

    return staff_required(POST.code)(staff_view)


def _overseen(request: HttpRequest, where: Jurisdiction, pk: int) -> Circular:
    found = services.circulars_overseen(where, request.user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("回覧が見つかりません。"))
    return found


def _audit(request: HttpRequest, circular: Circular, action: Action, what: str) -> None:
    record(request, action=action, subject=circular, what=what, purpose=oversight.AUDIT_PURPOSE)


@require_GET
def index(request: HttpRequest, scope: Scope, where: Jurisdiction) -> HttpResponse:
    circulars = services.circulars_overseen(where, request.user).prefetch_related("targets")
    context = {
        "scope": scope,
        "base": scope.base,
        "rows": [(c, scope.url("detail", c.pk)) for c in circulars[:200]],
        "new_url": scope.url("new"),
        "leaders": where.leaders,
    }
    return render(request, "circulars/manage/index.html", context)


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest, scope: Scope, where: Jurisdiction) -> HttpResponse:
    """Post a circular to areas in the poster's jurisdiction; problems are shown per field."""
    form = PostForm(request.POST or None, request.FILES or None, where=where)
    if request.method == "POST" and form.is_valid():
        try:
            circular = services.post(
                form.draft(), by=request.user, where=where, uploads=form.cleaned_data["attachments"]
            )
        except services.CircularError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("回覧を掲載し、対象の世帯にお知らせしました。"))
            return redirect(scope.url("detail", circular.pk))
    status = 400 if form.errors else 200
    context = {"scope": scope, "base": scope.base, "form": form, "index_url": scope.url("index")}
    return render(request, "circulars/manage/new.html", context, status=status)


def _errors_to_form(form: PostForm, exc: services.CircularError) -> None:
    for name, problems in exc.message_dict.items():
        if name == "questions":
            name = None
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


@require_GET
def detail(request: HttpRequest, scope: Scope, where: Jurisdiction, pk: int) -> HttpResponse:
    """Who has not read it, and the tallies of the replies (audited)."""
    circular = _overseen(request, where, pk)
    _audit(request, circular, Action.READ, "circular reads and replies")
    table = oversight.rows(circular, where)
    context = {
        "scope": scope,
        "base": scope.base,
        "circular": circular,
        "links": scope.links(circular),
        "files": scope.files(circular),
        "summary": oversight.summary(table),
        "unread": [row for row in table if not row.read],
        "tallies": oversight.tallies(circular, table),
        "may_withdraw": services.may_withdraw(circular, request.user, where),
        "index_url": scope.url("index"),
    }
    return render(request, "circulars/manage/detail.html", context)


@require_GET
def export_csv(request: HttpRequest, scope: Scope, where: Jurisdiction, pk: int) -> HttpResponse:
    """Every household of the circular with its read and answers, as CSV (UTF-8 with BOM)."""
    circular = _overseen(request, where, pk)
    _audit(request, circular, Action.EXPORT, "circular reads and replies CSV")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="circular-{circular.pk}.csv"'
    response.write("\ufeff")
    csv.writer(response).writerows(oversight.csv_table(circular, oversight.rows(circular, where)))
    return response


@require_GET
def printable(request: HttpRequest, scope: Scope, where: Jurisdiction, pk: int) -> HttpResponse:
    """The copy to print and hand round, with a sign-off list of the households on paper."""
    circular = _overseen(request, where, pk)
    _audit(request, circular, Action.READ, "circular printable copy with paper households")
    paper = notifications.paper_households(services.households(circular, where))
    context = {
        "base": scope.base,
        "circular": circular,
        "paper": paper.select_related("head", "kumi").order_by("kumi__number", "number"),
        "back_url": scope.url("detail", circular.pk),
    }
    return render(request, "circulars/manage/print.html", context)


@require_http_methods(["GET", "POST"])
def paper(request: HttpRequest, scope: Scope, where: Jurisdiction, pk: int) -> HttpResponse:
    """Households no digital channel reaches (they get the paper copy), and the returned
    sign-off sheet typed in: 回覧済み（紙） and the slip's answers, all rows or none (audited)."""
    circular = _overseen(request, where, pk)
    posted, errors = None, {}
    if request.method == "POST":
        posted = request.POST
        entries = paper_sheet.entries_from(request.POST)
        try:
            changed = paper_sheet.record(circular, entries, by=request.user, where=where)
        except services.CircularError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            what = f"paper sign-offs and replies recorded for {changed} households"
            _audit(request, circular, Action.UPDATE, what)
            messages.success(request, _("紙の回覧を記録しました（%(n)s世帯）。") % {"n": changed})
            return redirect(scope.url("paper", circular.pk))
    _audit(request, circular, Action.READ, "circular paper households")
    rows = paper_sheet.sheet(circular, where, posted, errors)
    for row in rows:
        if row.has_paper_entries:
            row.undo_url = scope.url("paper_undo", circular.pk, row.row.household.pk)
    context = {
        "base": scope.base,
        "circular": circular,
        "rows": rows,
        "general_errors": paper_sheet.general_errors(errors, rows),
        "errors": errors,
        "open": services.open_for_replies(circular),
        "questions": list(circular.questions.all()),
        "links": scope.links(circular),
    }
    return render(request, "circulars/manage/paper.html", context, status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
def undo_paper(
    request: HttpRequest, scope: Scope, where: Jurisdiction, pk: int, household: int
) -> HttpResponse:
    """Ask for confirmation (GET), then take back one household's paper entries (POST)."""
    circular = _overseen(request, where, pk)
    found = services.households(circular, where).filter(pk=household).select_related("head")
    if not found.exists():
        raise Http404(_("世帯が見つかりません。"))
    if request.method == "POST":
        try:
            paper_sheet.undo(circular, household, where=where)
        except services.CircularError as exc:
            messages.error(request, exc.messages[0])
        else:
            what = f"paper sign-off and reply taken back for household {household}"
            _audit(request, circular, Action.DELETE, what)
            messages.success(request, _("紙の記録を取り消しました。"))
        return redirect(scope.url("paper", circular.pk))
    context = {"base": scope.base, "circular": circular, "household": found.get(),
               "links": scope.links(circular)}  # fmt: skip
    return render(request, "circulars/manage/undo_paper.html", context)


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, scope: Scope, where: Jurisdiction, pk: int) -> HttpResponse:
    """Ask for confirmation (GET), then withdraw (POST)."""
    circular = _overseen(request, where, pk)
    if not services.may_withdraw(circular, request.user, where):
        messages.error(request, _("この回覧は取り下げられません。"))
        return redirect(scope.url("detail", pk))
    if request.method == "POST":
        services.withdraw(circular, by=request.user, where=where)
        messages.success(request, _("回覧を取り下げました。"))
        return redirect(scope.url("detail", pk))
    context = {"base": scope.base, "circular": circular, "links": scope.links(circular)}
    return render(request, "circulars/manage/withdraw.html", context)


@require_GET
def attachment(
    request: HttpRequest, scope: Scope, where: Jurisdiction, pk: int, file_id: Any
) -> HttpResponse:
    """An attachment of a circular the leader or staff member oversees."""
    circular = _overseen(request, where, pk)
    found = circular.attachments.filter(file_id=file_id).select_related("file").first()
    if found is None:
        raise Http404(_("ファイルが見つかりません。"))
    return file_response(found.file)
