"""Resident pages of online procedures: the public catalogue, applying, status, corrections.

An application is started as a draft (``services.start_application``); its answers live in a
form-engine draft keyed per application, so two applications never share typed data. The
documents and the signature chosen before the final submit are kept in the session (only
ids and the signature bytes); everything is handed to ``services.submit`` /
``services.resubmit`` at once, which validate again on the server.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from musubi.citizen.procedures import documents, services
from musubi.citizen.procedures.documents import Pending
from musubi.citizen.procedures.models import Application, Category, Channel, Procedure, Status
from musubi.citizen.procedures.pdf import summary_pdf, summary_rows
from musubi.citizen.procedures.submission import definition_of
from musubi.platform.files import services as files
from musubi.platform.forms import services as forms
from musubi.platform.signatures import services as signatures
from musubi.platform.signatures import trust
from musubi.platform.signatures.views import document_download

PAGE_SIZE = 20
EDITABLE = (Status.DRAFT, Status.CORRECTION_REQUESTED)


# --- the public catalogue --------------------------------------------------------------------


def _catalogue(query: str, category: str):
    """The search of the catalogue page; an unknown category shows every category."""
    return services.find_procedures(query, category if category in Category.values else "")


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    """``/procedures/``: every procedure accepting applications, searchable, by category."""
    query = request.GET.get("q", "").strip()[:100]
    category = request.GET.get("category", "")
    page = Paginator(_catalogue(query, category), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "category": category,
        "categories": Category.choices,
        "paging_query": f"q={query}&category={category}",
    }
    return render(request, "procedures/resident/catalogue.html", context)


@require_GET
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    procedure = get_object_or_404(Procedure, code=code, active=True)
    version = services.published_version(procedure)
    context = {
        "procedure": procedure,
        "can_apply": procedure.online and version is not None,
        "channels": [Channel(c).label for c in procedure.channels if c in Channel.values],
        "attachments": [
            {"label": forms.localize(a.get("label")), "required": a.get("required")}
            for a in procedure.attachments
        ],
    }
    return render(request, "procedures/resident/procedure.html", context)


# --- starting and the form -------------------------------------------------------------------


@require_POST
@login_required
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """Start an application, or resume the resident's unfinished one for this procedure."""
    procedure = get_object_or_404(Procedure, code=code, active=True)
    open_draft = services.applications_for(request.user).filter(
        procedure=procedure, status=Status.DRAFT
    )
    application = open_draft.first()
    if application is None:
        try:
            application = services.start_application(
                procedure, applicant=request.user, channel="online"
            )
        except services.ProcedureError as exc:
            messages.error(request, exc.message)
            return redirect("procedures:procedure", code)
    return redirect(_session(request, application).resume_url())


def _own(request: HttpRequest, pk: int) -> Application:
    """The resident's own application (404 for anyone else's, so existence is not revealed)."""
    return get_object_or_404(
        Application.objects.select_related("procedure", "form_version"),
        pk=pk,
        applicant=request.user,
    )


def _editable(request: HttpRequest, pk: int) -> Application:
    application = _own(request, pk)
    if application.status not in EDITABLE:
        raise Http404("not editable")
    return application


def form_key(application: Application) -> str:
    """The form engine's draft key: the version's key plus the application, one per application."""
    return f"{application.form_version.form_key}:application:{application.pk}"


def _session(request: HttpRequest, application: Application) -> forms.FormSession:
    version = application.form_version
    draft = forms.open_draft(request.user, form_key(application), title=version.definition["title"])
    if application.status == Status.CORRECTION_REQUESTED and not draft.data:
        draft.data = dict(application.data)  # 補正: reopen with what was sent
        draft.save()
    urls = forms.Urls(
        step=lambda step_id: reverse("procedures:step", args=[application.pk, step_id]),
        review=reverse("procedures:review", args=[application.pk]),
        submit=reverse("procedures:answers_done", args=[application.pk]),
    )
    return forms.FormSession(definition_of(version), request.user, draft, urls=urls)


@require_http_methods(["GET", "POST"])
@login_required
def step(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    session = _session(request, _editable(request, pk))
    if session.definition.step(step_id) is None:
        raise Http404(step_id)
    if request.method == "GET":
        return session.render_step(request, step_id)
    outcome = session.submit_step(request, step_id)
    if outcome.done:
        return redirect(outcome.next_url)
    return session.render_step(request, step_id, outcome)


@require_GET
@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    return _session(request, _editable(request, pk)).review(request)


@require_POST
@login_required
def answers_done(request: HttpRequest, pk: int) -> HttpResponse:
    """The answers are complete: go on to the documents (or back to the first faulty step)."""
    application = _editable(request, pk)
    session = _session(request, application)
    try:
        session.final_data()
    except forms.FormIncomplete as incomplete:
        messages.error(request, _("未入力の項目または誤りがあります。確認してください。"))
        return redirect("procedures:step", pk, incomplete.first_step)
    return redirect("procedures:attachments", pk)


# --- documents and signature, kept in the session until the submit ---------------------------


@require_http_methods(["GET", "POST"])
@login_required
def attachments(request: HttpRequest, pk: int) -> HttpResponse:
    """One slot per required document: upload a file or pick an earlier one (once only)."""
    application = _editable(request, pk)
    try:
        data = _session(request, application).final_data()
    except forms.FormIncomplete as incomplete:
        return redirect("procedures:step", pk, incomplete.first_step)
    from_form = documents.form_files(application, data, request.user)
    pending = Pending.load(request, application)
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = documents.update(request, application, pending, from_form)
        if not errors:
            return redirect("procedures:signature", pk)
    context = {
        "application": application,
        "slots": documents.slots(application, pending, request.user, from_form),
        "errors": errors,
        "earlier": files.files_of(request.user)[:50],
    }
    return render(
        request, "procedures/resident/attachments.html", context, status=400 if errors else 200
    )


def _document(request: HttpRequest, application: Application) -> tuple[dict, bytes]:
    data = _session(request, application).final_data()
    return data, services.signing_document(application, data)


@require_GET
@login_required
def signing_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The exact bytes to sign, as a download for the resident's signing app."""
    application = _editable(request, pk)
    try:
        _data, document = _document(request, application)
    except forms.FormIncomplete as incomplete:
        return redirect("procedures:step", pk, incomplete.first_step)
    name = f"{application.procedure.code}-{application.pk}.json"
    return document_download(document, name)


@require_http_methods(["GET", "POST"])
@login_required
def signature(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a detached ``.p7s`` over the downloaded document; checked at once."""
    application = _editable(request, pk)
    pending = Pending.load(request, application)
    error = ""
    if request.method == "POST":
        if request.POST.get("_action") == "remove":
            pending.signature = pending.signed_sha256 = ""
            pending.save(request, application)
            return redirect("procedures:signature", pk)
        error = _take_signature(request, application, pending)
        if not error:
            return redirect("procedures:confirm", pk)
    context = {
        "application": application,
        "signed": bool(pending.signature),
        "error": error,
    }
    return render(
        request, "procedures/resident/signature.html", context, status=400 if error else 200
    )


def _take_signature(request: HttpRequest, application: Application, pending: Pending) -> str:
    """Check the uploaded signature; "" when it is valid and kept, else the reason."""
    uploaded = request.FILES.get("signature")
    if uploaded is None:
        return _("電子署名ファイル（.p7s）を選んでください。")
    if uploaded.size > trust.MAX_CMS_BYTES:
        return _("署名ファイルが大きすぎます（1 MB まで）。")
    blob = uploaded.read()
    try:
        trust.parse_signed_data(blob)
        der = trust.to_der(blob)
    except trust.MalformedSignature:
        return _("「%(name)s」は電子署名ファイル（.p7s）として読み取れません。") % {
            "name": uploaded.name
        }
    try:
        _data, document = _document(request, application)
    except forms.FormIncomplete:
        return _("未入力の項目または誤りがあります。確認してください。")
    result = signatures.verify(document, der)
    if not result.valid:
        return signatures.SignatureRejected(result).message
    pending.signature = base64.b64encode(der).decode()
    pending.signed_sha256 = hashlib.sha256(document).hexdigest()
    pending.save(request, application)
    return ""


# --- confirm and submit ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    application = _editable(request, pk)
    session = _session(request, application)
    try:
        data = session.final_data()
    except forms.FormIncomplete as incomplete:
        messages.error(request, _("未入力の項目または誤りがあります。確認してください。"))
        return redirect("procedures:step", pk, incomplete.first_step)
    pending = Pending.load(request, application)
    from_form = documents.form_files(application, data, request.user)
    document = services.signing_document(application, data)
    signature_stale = bool(pending.signature) and (
        pending.signed_sha256 != hashlib.sha256(document).hexdigest()
    )
    errors: dict[str, str] = {}
    if request.method == "POST" and not signature_stale:
        errors = _submit(request, application, session, data, pending)
        if not errors:
            return redirect("procedures:status", pk)
    context = {
        "application": application,
        "slots": documents.slots(application, pending, request.user, from_form),
        "signed": bool(pending.signature) and not signature_stale,
        "signature_stale": signature_stale,
        "errors": errors,
        "resubmission": application.status == Status.CORRECTION_REQUESTED,
    }
    return render(
        request, "procedures/resident/confirm.html", context, status=400 if errors else 200
    )


def _submit(
    request: HttpRequest,
    application: Application,
    session: forms.FormSession,
    data: dict[str, Any],
    pending: Pending,
) -> dict[str, str]:
    """Hand everything to the core service; its errors, keyed by field, if it refuses."""
    from_form = documents.form_files(application, data, request.user)
    chosen = documents.chosen(documents.slots(application, pending, request.user, from_form))
    cms = base64.b64decode(pending.signature) if pending.signature else None
    action = (
        services.resubmit if application.status == Status.CORRECTION_REQUESTED else services.submit
    )
    try:
        action(application, data, actor=request.user, attachments=chosen, signature=cms)
    except services.InvalidSubmission as exc:
        return exc.errors
    except services.ProcedureError as exc:
        return {"": exc.message}
    forms.discard_draft(session.draft)
    Pending.forget(request, application)
    messages.success(
        request,
        _("申請を受け付けました。受付番号は %(number)s です。")
        % {"number": application.receipt_number},
    )
    return {}


# --- after submitting ------------------------------------------------------------------------


@require_GET
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """「申請一覧」: the resident's applications, drafts with when they were last saved."""
    drafts = {d.form_key: d for d in forms.drafts_for(request.user)}
    rows = [
        {"application": a, "draft": drafts.get(form_key(a)) if a.status == Status.DRAFT else None}
        for a in services.applications_for(request.user).select_related("form_version__procedure")
        if a.status != Status.DRAFT or form_key(a) in drafts
    ]
    return render(request, "procedures/resident/mine.html", {"rows": rows})


@require_GET
@login_required
def status(request: HttpRequest, pk: int) -> HttpResponse:
    application = _own(request, pk)
    history = application.transitions.filter(visible_to_applicant=True)
    correction = (
        history.filter(to_status=Status.CORRECTION_REQUESTED).last()
        if application.status == Status.CORRECTION_REQUESTED
        else None
    )
    context = {
        "application": application,
        "history": history,
        "correction": correction,
        "answers": summary_rows(application) if application.submitted_at else [],
        "documents": application.attachments.select_related("file"),
        "signed": signatures.signatures_of(application).exists(),
        "can_withdraw": Status.WITHDRAWN in services.allowed_transitions(application, request.user),
    }
    return render(request, "procedures/resident/status.html", context)


@require_POST
@login_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """取下げ: the resident takes the application back (where the table allows it)."""
    application = _own(request, pk)
    try:
        version = int(request.POST.get("version", ""))
        services.transition(
            application, Status.WITHDRAWN, actor=request.user, expected_version=version
        )
    except ValueError:
        messages.error(request, _("画面を更新してからやり直してください。"))
    except services.ProcedureError as exc:
        messages.error(request, exc.message)
    else:
        for draft in forms.drafts_for(request.user).filter(form_key=form_key(application)):
            forms.discard_draft(draft)
        Pending.forget(request, application)
        messages.success(request, _("申請を取り下げました。"))
    return redirect("procedures:status", pk)


@require_GET
@login_required
def summary(request: HttpRequest, receipt: str) -> HttpResponse:
    """``summary.pdf``: the resident's copy of what was submitted."""
    application = get_object_or_404(
        Application.objects.select_related("procedure", "form_version"),
        receipt_number=receipt,
        applicant=request.user,
    )
    names = [a.file.original_name for a in application.attachments.select_related("file")]
    signed = signatures.signatures_of(application).exists()
    body = summary_pdf(application, attachments=names, signed=signed)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"{receipt}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response
