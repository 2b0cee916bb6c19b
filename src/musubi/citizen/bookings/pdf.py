"""利用許可書 (permit to use a public facility) as a PDF.

reportlab's built-in CID font ``HeiseiKakuGo-W5`` carries the Japanese text, so no font file
is installed or shipped (the PDF viewer supplies the glyphs).
"""

from __future__ import annotations

import io

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from musubi.citizen.bookings import services
from musubi.citizen.bookings.models import Booking

FONT = "HeiseiKakuGo-W5"
MARGIN = 25 * mm
LINE = 9 * mm


def _rows(booking: Booking) -> list[tuple[str, str]]:
    start, end = timezone.localtime(booking.start), timezone.localtime(booking.end)
    fee = _("%(yen)s 円") % {"yen": f"{booking.fee_yen:,}"}
    if booking.exemption:
        fee += f"（{services.exemption_label(booking.exemption)}）"
    return [
        (_("許可番号"), booking.reference),
        (_("使用者"), booking.holder_name),
        (_("施設"), booking.resource.name),
        (_("使用日時"), f"{start:%Y-%m-%d %H:%M} – {end:%H:%M}"),
        (_("利用人数"), str(booking.party_size)),
        (_("利用目的"), booking.purpose or "—"),
        (_("使用料"), fee),
    ]


def permit_pdf(booking: Booking) -> bytes:
    """One A4 page: the permit's title, what is permitted, to whom, and the issuing office."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=0)
    page.setTitle(f"{booking.reference} {_('利用許可書')}")
    width, height = A4
    page.setFont(FONT, 20)
    page.drawCentredString(width / 2, height - MARGIN, _("利用許可書"))
    y = height - MARGIN - 2 * LINE
    page.setFont(FONT, 11)
    page.drawString(MARGIN, y, _("次のとおり施設の使用を許可します。"))
    for label, value in _rows(booking):
        y -= LINE
        page.drawString(MARGIN, y, f"{label}：{value}")
    y -= 2 * LINE
    issued = timezone.localdate().isoformat()
    page.drawString(MARGIN, y, _("発行日：%(date)s") % {"date": issued})
    page.drawString(MARGIN, y - LINE, str(booking.resource.department))
    if booking.resource.synthetic:
        page.drawString(MARGIN, y - 2 * LINE, _("（デモ用の架空の施設です）"))
    page.drawString(MARGIN, MARGIN, settings.SITE_URL)
    page.showPage()
    page.save()
    return buffer.getvalue()
