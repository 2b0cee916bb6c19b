"""OGC API – Features endpoints at /ogc/: JSON by default (OWSLib sends no Accept), HTML on request.

Only public layers are served. Every path answers without a trailing-slash redirect, because
OWSLib and GDAL build URLs by appending to the landing page's address.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from musubi.data.maps import ogc, ogc_crs, ogc_openapi, services
from musubi.data.maps.models import Layer

JSON_TYPES = ("application/json", "application/geo+json", "application/vnd.oai.openapi+json")


def _wants_html(request: HttpRequest) -> bool:
    """``f=html|json`` decides; otherwise HTML only when the client asks for it before JSON."""
    fmt = request.GET.get("f")
    if fmt is not None:
        if fmt not in ("json", "html"):
            raise ogc.BadParameter(_("f は json か html にしてください。"))
        return fmt == "html"
    accept = request.headers.get("Accept", "")
    html_at = accept.find("text/html")
    if html_at < 0:
        return False
    json_at = min((accept.find(t) for t in JSON_TYPES if t in accept), default=len(accept))
    return html_at < json_at


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/ogc").rstrip("/")


def exception(status: int, code: str, description: str) -> JsonResponse:
    return JsonResponse({"code": code, "description": description}, status=status)


def _json(
    document: dict[str, Any], media: str = "application/json", crs: str | None = None
) -> HttpResponse:
    """JSON as sent; features carry Part 2's ``Content-Crs`` header naming their CRS.

    No charset parameter: JSON is UTF-8 by definition (RFC 8259), and conformance checkers
    compare the media type exactly.
    """
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    response = HttpResponse(body, content_type=media)
    if crs:
        response["Content-Crs"] = f"<{crs}>"
    return response


def ogc_view(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer bad parameters with 400 and unknown collections/items with 404, as JSON bodies."""

    @require_safe
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return func(request, *args, **kwargs)
        except ogc.BadParameter as exc:
            return exception(400, "InvalidParameterValue", str(exc))
        except (Layer.DoesNotExist, services.Feature.DoesNotExist):
            return exception(404, "NotFound", _("指定されたコレクションまたは地物はありません。"))

    wrapped.__name__ = func.__name__
    wrapped.__doc__ = func.__doc__
    return wrapped


def _english() -> bool:
    return (get_language() or "ja").startswith("en")


@ogc_view
def landing(request: HttpRequest) -> HttpResponse:
    base = _base(request)
    document = {
        "title": _("むすび 地図データ（OGC API – Features）"),
        "description": _("公開している地図レイヤを OGC API – Features で提供します。"),
        "links": [
            ogc.link(f"{base}/", "self", "application/json"),
            ogc.link(f"{base}/?f=html", "alternate", "text/html"),
            ogc.link(f"{base}/api", "service-desc", "application/vnd.oai.openapi+json;version=3.0"),
            ogc.link(f"{base}/conformance", "conformance", "application/json"),
            ogc.link(f"{base}/collections", "data", "application/json"),
        ],
    }
    if _wants_html(request):
        return render(request, "maps/ogc_landing.html", {"document": document, "base": base})
    return _json(document)


@ogc_view
def conformance(request: HttpRequest) -> HttpResponse:
    document = {"conformsTo": ogc.CONFORMANCE}
    if _wants_html(request):
        return render(request, "maps/ogc_conformance.html", {"document": document})
    return _json(document)


@ogc_view
def api_document(request: HttpRequest) -> HttpResponse:
    if request.GET.get("f") not in (None, "json"):
        raise ogc.BadParameter(_("f は json か html にしてください。"))
    document = ogc_openapi.document(_base(request), services.public_layers())
    return _json(document, "application/vnd.oai.openapi+json;version=3.0")


@ogc_view
def collections(request: HttpRequest) -> HttpResponse:
    base = _base(request)
    layers = list(services.public_layers())
    document = {
        "links": [
            ogc.link(f"{base}/collections", "self", "application/json"),
            ogc.link(f"{base}/collections?f=html", "alternate", "text/html"),
        ],
        "collections": [ogc.collection_document(layer, base, _english()) for layer in layers],
        "crs": ogc_crs.supported(),
    }
    if _wants_html(request):
        return render(request, "maps/ogc_collections.html", {"document": document})
    return _json(document)


@ogc_view
def collection(request: HttpRequest, code: str) -> HttpResponse:
    layer = services.public_layers().get(code=code)
    document = ogc.collection_document(layer, _base(request), _english())
    if _wants_html(request):
        return render(request, "maps/ogc_collection.html", {"document": document})
    return _json(document)


@ogc_view
def items(request: HttpRequest, code: str) -> HttpResponse:
    layer = services.public_layers().get(code=code)
    params = request.GET.dict()
    query = ogc.parse_items_query(params)
    html = _wants_html(request)
    url = f"{_base(request)}/collections/{layer.code}/items"
    document, page = ogc.items_document(layer, url, params, query)
    if html:
        return render(
            request,
            "maps/ogc_items.html",
            {"layer": layer, "document": document, "features": page, "query": query},
        )
    return _json(document, ogc.GEOJSON, query.crs)


@ogc_view
def item(request: HttpRequest, code: str, feature_id: str) -> HttpResponse:
    layer = services.public_layers().get(code=code)
    if not feature_id.isdigit():
        raise services.Feature.DoesNotExist
    feature = layer.features.get(pk=int(feature_id))
    crs = ogc_crs.checked(request.GET.get("crs"), "crs")
    html = _wants_html(request)
    base = f"{_base(request)}/collections/{layer.code}"
    document = ogc.in_crs(services.as_geojson(feature), crs)
    document["links"] = [
        ogc.link(f"{base}/items/{feature.pk}", "self", ogc.GEOJSON),
        ogc.link(f"{base}/items/{feature.pk}?f=html", "alternate", "text/html"),
        ogc.link(base, "collection", "application/json"),
    ]
    if html:
        return render(request, "maps/ogc_item.html", {"layer": layer, "feature": feature})
    return _json(document, ogc.GEOJSON, crs)
