"""Residents' pages of the circular board: their household's circulars, reading, replying.

Reading is recorded only by the 「確認しました」 POST, never by opening the page, so a
preview, a link checker or a prefetching browser cannot mark a household as read.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from musubi.community.circulars import services
from musubi.community.circulars.leaders import jurisdiction_of
from musubi.community.circulars.models import Circular
from musubi.community.circulars.questions import options_of
from musubi.platform.files import services as files
from musubi.platform.residents.models import Resident

FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _reader(request: HttpRequest) -> Resident | None:
    return services.reader_for(request.user)


def _circular(reader: Resident, pk: int) -> Circular:
    try:
        return services.visible_circular(reader, pk)
    except Circular.DoesNotExist:
        raise Http404(_("回覧が見つかりません。")) from None


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """``/circulars/``: the circulars of the household's 区 and 組, unread ones marked."""
    reader = _reader(request)
    context: dict[str, Any] = {"reader": reader, "leads": bool(jurisdiction_of(request.user))}
    if reader is not None:
        read = services.read_by_household(reader.household_id)
        context["rows"] = [
            {"circular": c, "read": c.pk in read}
            for c in services.circulars_for(reader).prefetch_related("targets")[:100]
        ]
    return render(request, "circulars/index.html", context)


def _questions(circular: Circular, answers: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"question": q, "options": options_of(q), "answer": answers.get(str(q.pk), "")}
        for q in circular.questions.all()
    ]


def _detail(
    request: HttpRequest, reader: Resident, circular: Circular, *, given=None, errors=None
) -> HttpResponse:
    reads = services.household_reads(circular, reader.household_id)
    reply = services.reply_of(circular, reader.household_id)
    answers = given if given is not None else (reply.answers if reply else {})
    context = {
        "circular": circular,
        "reads": reads,
        "i_read": any(r.resident_id == reader.pk for r in reads),
        "reply": reply,
        "questions": _questions(circular, answers),
        "errors": errors or {},
        "open": services.open_for_replies(circular),
    }
    return render(request, "circulars/detail.html", context, status=400 if errors else 200)


@require_GET
@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    reader = _reader(request)
    if reader is None:
        raise Http404(_("回覧が見つかりません。"))
    return _detail(request, reader, _circular(reader, pk))


@require_POST
@login_required
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """「確認しました」: this member read it, so the household counts as read."""
    reader = _reader(request)
    if reader is None:
        raise Http404(_("回覧が見つかりません。"))
    services.mark_read(_circular(reader, pk), reader, request.user)
    messages.success(request, _("確認しました。ありがとうございます。"))
    return redirect("circulars:detail", pk)


@require_POST
@login_required
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """The household's answer; refused with the reason after the due date."""
    reader = _reader(request)
    if reader is None:
        raise Http404(_("回覧が見つかりません。"))
    circular = _circular(reader, pk)
    given = {k.removeprefix("q"): v for k, v in request.POST.items() if k.startswith("q")}
    try:
        services.reply(circular, reader, request.user, given)
    except services.CircularError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        return _detail(request, reader, circular, given=given, errors=errors)
    messages.success(request, _("回答を受け付けました。期限までは変更できます。"))
    return redirect("circulars:detail", pk)


@require_GET
@login_required
def attachment(request: HttpRequest, pk: int, file_id: Any) -> HttpResponse:
    """An attachment of a circular the household may see (the bytes from ``platform.files``)."""
    reader = _reader(request)
    if reader is None:
        raise Http404(_("ファイルが見つかりません。"))
    found = _circular(reader, pk).attachments.filter(file_id=file_id).select_related("file").first()
    if found is None:
        raise Http404(_("ファイルが見つかりません。"))
    return file_response(found.file)


def file_response(stored: Any) -> HttpResponse:
    """The stored bytes with their sniffed type; nothing in them may run."""
    try:
        content = files.read_content(stored)
    except FileNotFoundError:
        raise Http404(_("ファイルの内容が見つかりません。")) from None
    response = HttpResponse(content, content_type=stored.content_type)
    response["Content-Disposition"] = content_disposition_header(False, stored.original_name)
    response["Content-Security-Policy"] = FILE_CSP
    response["X-Content-Type-Options"] = "nosniff"
    return response
