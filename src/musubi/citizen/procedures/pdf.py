"""The printable summary of a submitted application (申請内容の控え) as a PDF.

Japanese text needs a CJK font; reportlab's built-in CID font ``HeiseiKakuGo-W5`` is used so
no font file has to be installed or shipped (the PDF viewer supplies the glyphs).
"""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from musubi.citizen.procedures.models import Application
from musubi.citizen.procedures.submission import definition_of
from musubi.platform.forms import services as forms

FONT = "HeiseiKakuGo-W5"
FONT_SIZE = 10.5
LINE = 6 * mm
MARGIN = 20 * mm
WRAP = 44  # full-width characters per line at this size on A4


def summary_rows(application: Application) -> list[tuple[str, list[str]]]:
    """Each answered field as (label, lines), in the form's order, in the active language.

    A repeating group gives one line per row ("1. 氏名：… / 生年月日：…"), so nothing
    the resident entered is left out of the summary.
    """
    definition = definition_of(application.form_version)
    rows = []
    for item in definition.fields():
        if item.id not in application.data:
            continue
        rows.append((forms.localize(item.label), _lines_of(item, application.data[item.id])))
    return rows


def _lines_of(item: Any, value: Any) -> list[str]:
    if item.widget != "group":
        return [_shown(item, value)]
    lines = []
    for number, row in enumerate(value or [], start=1):
        parts = [
            f"{forms.localize(child.label)}：{_shown(child, row[child.id])}"
            for child in item.fields
            if child.id in row
        ]
        lines.append(f"{number}. " + " / ".join(parts))
    return lines or [_("なし")]


def _shown(item: Any, value: Any) -> str:
    return forms.FIELD_TYPES[item.widget].display(value, item)


def _wrapped(text: str) -> list[str]:
    return [text[i : i + WRAP] for i in range(0, len(text), WRAP)] or [""]


class _Page:
    """A canvas that starts a new page when the text reaches the bottom margin."""

    def __init__(self, buffer: io.BytesIO, title: str) -> None:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        self.canvas = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
        self.canvas.setTitle(title)
        self.width, self.height = A4
        self.y = self.height - MARGIN
        self.canvas.setFont(FONT, FONT_SIZE)

    def line(self, text: str, *, indent: float = 0, size: float = FONT_SIZE) -> None:
        for part in _wrapped(text):
            if self.y < MARGIN:
                self.canvas.showPage()
                self.y = self.height - MARGIN
            self.canvas.setFont(FONT, size)
            self.canvas.drawString(MARGIN + indent, self.y, part)
            self.y -= LINE if size <= FONT_SIZE else LINE * 1.5

    def gap(self) -> None:
        self.y -= LINE / 2

    def finish(self) -> None:
        self.canvas.showPage()
        self.canvas.save()


def summary_pdf(application: Application, *, attachments: list[str], signed: bool) -> bytes:
    """The summary as PDF bytes: procedure, receipt, dates, every answer, documents, signature."""
    buffer = io.BytesIO()
    procedure_name = _procedure_name(application)
    page = _Page(buffer, f"{application.receipt_number} {procedure_name}")
    page.line(_("申請内容の控え"), size=16)
    page.line(procedure_name, size=13)
    page.gap()
    for label, text in _header(application):
        page.line(f"{label}：{text}")
    page.gap()
    page.line(_("申請内容"), size=13)
    for label, lines in summary_rows(application):
        page.line(f"■ {label}")
        for text in lines:
            page.line(text, indent=6 * mm)
    page.gap()
    page.line(_("添付書類"), size=13)
    for name in attachments or [_("なし")]:
        page.line(name, indent=6 * mm)
    page.line(_("電子署名：%(state)s") % {"state": _("あり") if signed else _("なし")})
    page.finish()
    return buffer.getvalue()


def _procedure_name(application: Application) -> str:
    procedure = application.procedure
    return forms.localize({"ja": procedure.name_ja, "en": procedure.name_en or procedure.name_ja})


def _header(application: Application) -> list[tuple[str, str]]:
    submitted = timezone.localtime(application.submitted_at) if application.submitted_at else None
    return [
        (_("受付番号"), application.receipt_number or ""),
        (_("申請者"), application.applicant_name),
        (_("申請日時"), submitted.strftime("%Y-%m-%d %H:%M") if submitted else ""),
        (_("状態"), application.get_status_display()),
        (_("処理期限の目安"), application.due_date.isoformat() if application.due_date else ""),
    ]
