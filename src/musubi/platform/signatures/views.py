"""Response helpers the procedures app mounts under its own URLs (this app has no pages)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def document_download(canonical: bytes, filename: str) -> HttpResponse:
    """The canonical bytes as a download, exactly as they must be signed (no re-encoding)."""
    response = HttpResponse(canonical, content_type="application/json")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
