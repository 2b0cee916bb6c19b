"""Counter-assisted mode (書かない窓口): staff fill in the form for the resident at the counter.

Flow: find the resident in the registry → pick a procedure → the form opens prefilled from
*that resident's* registry record (not the staff member's) → staff complete the rest →
a second screen (tablet) shows everything in large text, reached by a signed, short-lived
token → the resident confirms there, which submits the application with channel = counter.
The staff screen waits (refreshing itself, no JavaScript needed) and then shows the result.

The token names the application, its version, the staff member and a digest of the answers,
so what the resident confirms is exactly what staff entered, and only once.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import segno
from django import forms as djforms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from musubi.citizen.procedures import documents, services
from musubi.citizen.procedures.documents import Pending
from musubi.citizen.procedures.models import Application, Channel, Procedure, Status
from musubi.citizen.procedures.staff_access import departments_of
from musubi.citizen.procedures.staff_views import present
from musubi.platform.accounts.decorators import staff_required
from musubi.platform.accounts.models import User
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.files import services as files
from musubi.platform.forms import services as forms
from musubi.platform.residents.models import Resident
from musubi.platform.residents.search import Criteria, search_residents

SALT = "procedures.counter.confirm"
TOKEN_SECONDS = 600  # the resident confirms within ten minutes, or staff issue a new token
REFRESH_SECONDS = 3
PURPOSE = gettext_lazy("窓口での申請受付（書かない窓口）")
RESULTS = 30


def _counter_departments(user: Any) -> list[Any]:
    return departments_of(user, "procedures.counter")


# --- finding the resident and the procedure --------------------------------------------------


class ResidentSearchForm(djforms.Form):
    name = djforms.CharField(label=gettext_lazy("氏名・フリガナ"), required=False, max_length=60)
    birthdate = djforms.DateField(
        label=gettext_lazy("生年月日"),
        required=False,
        help_text=gettext_lazy("例：1989-01-07"),
        widget=djforms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not (data.get("name") or data.get("birthdate")):
            raise djforms.ValidationError(_("氏名か生年月日を入力してください。"))
        return data


@staff_required("procedures.counter")
def search(request: HttpRequest) -> HttpResponse:
    """Step 1: find the resident standing at the counter in the registry."""
    form = ResidentSearchForm(request.GET or None)
    found: list[Resident] | None = None
    if form.is_bound and form.is_valid():
        criteria = Criteria(
            name=form.cleaned_data["name"],
            birthdate=form.cleaned_data["birthdate"],
            status="active",
        )
        record(
            request,
            action=Action.SEARCH,
            subject=Subject("resident", "search"),
            what=f"counter {criteria.describe()}",
            purpose=str(PURPOSE),
        )
        found = list(search_residents(criteria)[:RESULTS])
    return render(request, "procedures/counter/search.html", {"form": form, "found": found})


def _counter_procedures(user: Any) -> list[Procedure]:
    offered = Procedure.objects.filter(active=True, department__in=_counter_departments(user))
    return [p for p in offered.order_by("order", "code") if Channel.COUNTER in p.channels]


@staff_required("procedures.counter")
def choose(request: HttpRequest, resident_id: int) -> HttpResponse:
    """Step 2: pick the procedure; POST starts a counter application for this resident."""
    resident = Resident.objects.filter(pk=resident_id).first()
    if resident is None:
        raise Http404
    procedures = _counter_procedures(request.user)
    error = ""
    if request.method == "POST":
        chosen = next((p for p in procedures if p.code == request.POST.get("procedure")), None)
        try:
            if chosen is None:
                raise services.ProcedureUnavailable(gettext_lazy("手続を選んでください。"))
            application = services.start_application(
                chosen,
                applicant=None,
                channel=Channel.COUNTER,
                resident=resident,
                actor=request.user,
            )
        except services.ProcedureError as exc:
            error = exc.message
        else:
            record(
                request,
                action=Action.CREATE,
                subject=application,
                what=f"counter application {chosen.code} for resident {resident.number}",
                purpose=str(PURPOSE),
            )
            return redirect(_session(request, application).resume_url())
    record(
        request,
        action=Action.READ,
        subject=resident,
        what="counter: resident chosen",
        purpose=str(PURPOSE),
    )
    context = {"resident": resident, "procedures": procedures, "error": error}
    return render(request, "procedures/counter/choose.html", context, status=400 if error else 200)


# --- filling in the form ---------------------------------------------------------------------


def _draft_key(application: Application) -> str:
    return f"{application.form_version.form_key}:counter:{application.pk}"


def _open_draft(user: Any, application: Application) -> Any:
    definition = application.form_version.definition
    return forms.open_draft(user, _draft_key(application), title=definition.get("title"))


def _session(request: HttpRequest, application: Application, user: Any = None) -> Any:
    """The form as the resident would see it, but prefilled from the chosen resident."""
    user = user or request.user
    pk = application.pk
    return forms.FormSession(
        application.form_version.definition,
        user,
        _open_draft(user, application),
        urls=forms.Urls(
            step=lambda step_id: reverse("procedures:counter_step", args=[pk, step_id]),
            review=reverse("procedures:counter_review", args=[pk]),
            submit=reverse("procedures:counter_documents", args=[pk]),
        ),
        base_template="ui/staff_base.html",
        prefill_resident=application.resident,
    )


def _own_counter_draft(request: HttpRequest, pk: int) -> Application:
    """A counter application this staff member started and that is still being filled in."""
    found = (
        Application.objects.select_related("procedure", "form_version", "resident")
        .filter(
            pk=pk,
            channel=Channel.COUNTER,
            status=Status.DRAFT,
            created_by=request.user,
            department__in=_counter_departments(request.user),
        )
        .first()
    )
    if found is None:
        raise Http404
    return found


@staff_required("procedures.counter")
def step(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    session = _session(request, _own_counter_draft(request, pk))
    if session.definition.step(step_id) is None:
        raise Http404
    if request.method == "POST":
        outcome = session.submit_step(request, step_id)
        if outcome.done:
            return redirect(outcome.next_url)
        return session.render_step(request, step_id, outcome)
    return session.render_step(request, step_id)


@staff_required("procedures.counter")
def review(request: HttpRequest, pk: int) -> HttpResponse:
    return _session(request, _own_counter_draft(request, pk)).review(request)


# --- handing over to the resident's screen ---------------------------------------------------


def _digest(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _token_key(pk: int) -> str:
    return f"procedures.counter.token.{pk}"


def _documents_page(
    request: HttpRequest, application: Application, errors: dict[str, str]
) -> HttpResponse:
    pending = Pending.load(request, application)
    context = {
        "application": application,
        "slots": documents.slots(application, pending, request.user, {}),
        "errors": errors,
    }
    status = 400 if errors else 200
    return render(request, "procedures/counter/documents.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required("procedures.counter")
def documents_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Scans of the papers the resident brought (optional: staff have seen the originals)."""
    application = _own_counter_draft(request, pk)
    if request.method == "POST":  # arriving from the review page
        return redirect("procedures:counter_documents", pk=pk)
    return _documents_page(request, application, {})


@require_POST
@staff_required("procedures.counter")
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    """The answers and scans are complete: issue the tablet token and wait for the resident.

    The token carries the scans' ids: the tablet has no staff session to read them from.
    """
    application = _own_counter_draft(request, pk)
    session = _session(request, application)
    try:
        data = session.final_data()
    except forms.FormIncomplete as exc:
        messages.error(request, _("入力が終わっていない項目があります。"))
        return redirect("procedures:counter_step", pk=pk, step_id=exc.first_step)
    pending = Pending.load(request, application)
    errors = documents.update(request, application, pending, {}, reuse=False, require=False)
    if errors:
        return _documents_page(request, application, errors)
    payload = {
        "a": pk,
        "v": application.version,
        "s": request.user.pk,
        "d": _digest(data),
        "f": pending.attachments,
    }
    request.session[_token_key(pk)] = signing.dumps(payload, salt=SALT)
    return redirect("procedures:counter_waiting", pk=pk)


def _qr(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=4, title=_("確認画面のQRコード"))


@staff_required("procedures.counter")
def waiting(request: HttpRequest, pk: int) -> HttpResponse:
    """The staff screen while the resident checks: refreshes itself until they confirm."""
    application = (
        Application.objects.select_related("procedure")
        .filter(pk=pk, channel=Channel.COUNTER, created_by=request.user)
        .first()
    )
    if application is None:
        raise Http404
    if application.status != Status.DRAFT:
        context = {"application": application, "done": True}
        return render(request, "procedures/counter/waiting.html", context)
    token = request.session.get(_token_key(pk), "")
    expired = not token or _load(token) is None
    context = {"application": application, "done": False, "expired": expired}
    if not expired:
        url = request.build_absolute_uri(reverse("procedures:counter_confirm", args=[token]))
        context.update(confirm_url=url, qr=_qr(url))
    response = render(request, "procedures/counter/waiting.html", context)
    if not expired:
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


def _load(token: str) -> dict[str, Any] | None:
    try:
        return signing.loads(token, salt=SALT, max_age=TOKEN_SECONDS)
    except signing.BadSignature:  # also SignatureExpired
        return None


# --- the resident's screen (tablet) ----------------------------------------------------------


def _refuse(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    context = {"message": message}
    return render(request, "procedures/counter/confirm_refused.html", context, status=status)


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The tablet view: everything in large text; the resident's confirm button submits."""
    payload = _load(token)
    if payload is None:
        text = _("この確認画面は無効か、期限が切れています。窓口の職員にお知らせください。")
        return _refuse(request, text, 403)
    application = (
        Application.objects.select_related("procedure", "form_version", "resident")
        .filter(pk=payload["a"], channel=Channel.COUNTER)
        .first()
    )
    staff = User.objects.filter(pk=payload["s"]).first()
    if application is None or staff is None:
        return _refuse(request, _("申請が見つかりません。窓口の職員にお知らせください。"), 404)
    if application.status != Status.DRAFT:
        context = {"application": application, "already": True}
        return render(request, "procedures/counter/confirmed.html", context)
    session = _session(request, application, user=staff)
    data = _final_or_none(session)
    if data is None or _digest(data) != payload["d"] or application.version != payload["v"]:
        return _refuse(
            request,
            _("内容が変更されました。窓口の職員に確認画面を出し直してもらってください。"),
            409,
        )
    record(
        request,
        action=Action.READ if request.method != "POST" else Action.CREATE,
        subject=application,
        what=f"counter confirmation screen (staff {staff.pk})",
        purpose=str(PURPOSE),
    )
    scans = _scans(staff, payload.get("f", {}))
    if scans is None:
        return _refuse(request, _("添付書類が見つかりません。窓口の職員にお知らせください。"), 409)
    if request.method == "POST":
        return _submit(request, application, session, data, staff, scans)
    context = {
        "application": application,
        "answers": present(application.form_version.definition, data),
        "scans": scans,
    }
    return render(request, "procedures/counter/confirm.html", context)


def _scans(staff: Any, chosen: dict[str, str]) -> list[tuple[str, Any]] | None:
    """The scans named in the token, still owned by the clerk who made them; None if one is gone."""
    found = []
    for code, file_id in chosen.items():
        try:
            found.append((code, files.owned_file(staff, file_id)))
        except (files.StoredFile.DoesNotExist, ValueError, ValidationError):
            return None
    return found


def _final_or_none(session: Any) -> dict[str, Any] | None:
    try:
        return session.final_data()
    except forms.FormIncomplete:
        return None


def _submit(
    request: HttpRequest,
    application: Application,
    session: Any,
    data: dict,
    staff: Any,
    scans: list[tuple[str, Any]],
) -> HttpResponse:
    try:
        services.submit(application, data, actor=staff, attachments=scans)
    except services.ProcedureError as exc:
        return _refuse(request, _("申請できませんでした：%(reason)s") % {"reason": exc.message})
    forms.discard_draft(session.draft)
    return render(request, "procedures/counter/confirmed.html", {"application": application})
