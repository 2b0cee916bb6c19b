"""DCAT-AP JSON-LD documents: the paged catalogue at /catalog.jsonld."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

from musubi.data.opendata import dcat

JSONLD = "application/ld+json"


def jsonld(document: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(
        document, status=status, content_type=JSONLD, json_dumps_params={"ensure_ascii": False}
    )


def catalog(request: HttpRequest) -> JsonResponse:
    raw = request.GET.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        return jsonld({"error": _("page は1以上の整数で指定してください。")}, status=400)
    document = dcat.catalog_document(request, int(raw))
    if document is None:
        return jsonld({"error": _("そのページはありません。")}, status=404)
    return jsonld(document)
