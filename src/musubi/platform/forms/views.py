"""Pages of the form engine: the try page (the demo form end to end), the postal-code lookup,
reporting a registry error, and 市民課's list of those reports."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from musubi.platform.accounts.decorators import staff_required
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.forms import services
from musubi.platform.forms.models import CorrectionStatus, RegistryCorrectionRequest

SAMPLE_FORM = Path(__file__).resolve().parent / "data" / "sample_form.json"
TRY_KEY = "try:sample-jidou-teate"
PAGE_SIZE = 50
PURPOSE = gettext_lazy("住民記録の誤り報告への対応")


@cache
def sample_definition() -> services.FormDefinition:
    """The demo form (児童手当 認定請求-like), checked once per process."""
    return services.FormDefinition.from_dict(json.loads(SAMPLE_FORM.read_text(encoding="utf-8")))


def _try_session(request: HttpRequest) -> services.FormSession:
    definition = sample_definition()
    draft = services.open_draft(request.user, TRY_KEY, title=definition.title)
    urls = services.Urls(
        step=lambda step_id: reverse("forms:try_step", args=[step_id]),
        review=reverse("forms:try_review"),
        submit=reverse("forms:try_submit"),
    )
    return services.FormSession(definition, request.user, draft, urls=urls)


@require_GET
@login_required
def try_start(request: HttpRequest) -> HttpResponse:
    """Resume the demo form where the resident left off (or start it)."""
    return redirect(_try_session(request).resume_url())


@require_http_methods(["GET", "POST"])
@login_required
def try_step(request: HttpRequest, step_id: str) -> HttpResponse:
    session = _try_session(request)
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
def try_review(request: HttpRequest) -> HttpResponse:
    return _try_session(request).review(request)


@require_POST
@login_required
def try_submit(request: HttpRequest) -> HttpResponse:
    """The final submit: on the try page the validated data is only shown, never stored."""
    session = _try_session(request)
    try:
        data = session.final_data()
    except services.FormIncomplete as incomplete:
        messages.error(request, _("未入力の項目または誤りがあります。確認してください。"))
        return redirect("forms:try_step", incomplete.first_step)
    services.discard_draft(session.draft)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return render(request, "forms/try_done.html", {"data_json": text})


@require_GET
def postal_code(request: HttpRequest, code: str) -> JsonResponse:
    """``/forms/postal-code/<code>/`` → ``{"postal_code", "addresses": [...]}`` (JSON)."""
    try:
        found = services.lookup_postal_code(code)
    except services.FieldError as exc:
        return JsonResponse({"error": exc.messages[0]}, status=400)
    if not found:
        message = _("郵便番号 %(code)s の住所が見つかりません。") % {"code": code}
        return JsonResponse({"error": message}, status=404)
    addresses = [
        {"prefecture": a.prefecture, "city": a.city, "town": a.town, "text": a.text} for a in found
    ]
    return JsonResponse({"postal_code": found[0].postal_code, "addresses": addresses})


def _safe_next(request: HttpRequest, candidate: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        candidate, {request.get_host()}, require_https=request.is_secure()
    )
    return candidate if candidate and allowed else reverse("ui:mypage")


@require_http_methods(["GET", "POST"])
@login_required
def report_registry_error(request: HttpRequest) -> HttpResponse:
    """「誤りを報告」: the resident says a value shown from the registry is wrong."""
    source = request.POST if request.method == "POST" else request.GET
    attribute = source.get("attribute", "")
    next_url = _safe_next(request, source.get("next", ""))
    shown = services.registry_value(request.user, attribute)
    if shown is None:
        messages.error(request, _("報告できない項目です。"))
        return redirect(next_url)
    error = ""
    if request.method == "POST":
        try:
            services.report_registry_error(request.user, attribute, source.get("comment", ""))
        except services.FieldError as exc:
            error = exc.messages[0]
        else:
            messages.success(
                request, _("市民課に報告しました。確認のうえ、必要に応じてご連絡します。")
            )
            return redirect(next_url)
    context = {
        "attribute": attribute,
        "label": services.correction_label(attribute),
        "shown": shown,
        "next": next_url,
        "comment": source.get("comment", ""),
        "error": error,
    }
    return render(request, "forms/report.html", context, status=400 if error else 200)


@require_GET
@staff_required("forms.review_corrections")
def staff_corrections(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", CorrectionStatus.OPEN)
    record(
        request,
        action=Action.SEARCH,
        subject=Subject("registrycorrectionrequest", ""),
        what=f"registry correction requests (status={status or 'all'})",
        purpose=str(PURPOSE),
    )
    page = Paginator(services.corrections(status), PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.field_label = services.correction_label(item.field)
    context = {"page": page, "status": status, "statuses": CorrectionStatus.choices}
    return render(request, "forms/staff_corrections.html", context)


@require_POST
@staff_required("forms.review_corrections")
def staff_correction_status(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(RegistryCorrectionRequest, pk=pk)
    status = request.POST.get("status", "")
    try:
        with transaction.atomic():
            services.set_correction_status(report, status)
            record(
                request,
                action=Action.UPDATE,
                subject=report,
                what=f"status → {status}",
                purpose=str(PURPOSE),
            )
    except services.FieldError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("状態を更新しました。"))
    return redirect("forms:staff_corrections")
