"""The receipt (領収書) of a payment as a PDF.

Japanese text needs a CJK font; reportlab's built-in CID font ``HeiseiKakuGo-W5`` is used so no
font file has to be installed or shipped (the PDF viewer supplies the glyphs).
"""

from __future__ import annotations

import io

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from musubi.platform.payments.models import Payment
from musubi.platform.ui.services import city_name

FONT = "HeiseiKakuGo-W5"
MARGIN = 15 * mm
LINE = 7 * mm


def receipt_rows(payment: Payment) -> list[tuple[str, str]]:
    """What the receipt states, as (label, value), in the active language."""
    paid = timezone.localtime(payment.paid_at).strftime("%Y-%m-%d %H:%M") if payment.paid_at else ""
    rows = [
        (_("領収番号"), payment.reference),
        (_("但し書き"), payment.purpose),
        (_("金額"), _("%(amount)s円") % {"amount": f"{payment.amount:,}"}),
        (_("領収日時"), paid),
        (_("支払者"), str(payment.payer)),
    ]
    if payment.refunded_amount:
        refunded = _("%(amount)s円") % {"amount": f"{payment.refunded_amount:,}"}
        rows.append((_("返金済みの額"), refunded))
    return rows


def receipt_pdf(payment: Payment) -> bytes:
    """The receipt as PDF bytes: title, city, every row of ``receipt_rows``."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A5, pageCompression=0)
    page.setTitle(f"{_('領収書')} {payment.reference}")
    width, height = A5
    y = height - MARGIN - 6 * mm
    page.setFont(FONT, 18)
    page.drawCentredString(width / 2, y, _("領収書"))
    y -= LINE * 2
    page.setFont(FONT, 10.5)
    for label, value in receipt_rows(payment):
        page.drawString(MARGIN, y, f"{label}：{value}")
        y -= LINE
    y -= LINE
    page.drawString(MARGIN, y, _("上記の金額を領収しました。"))
    page.drawRightString(width - MARGIN, MARGIN, city_name(translation.get_language() or "ja"))
    page.showPage()
    page.save()
    return buffer.getvalue()
