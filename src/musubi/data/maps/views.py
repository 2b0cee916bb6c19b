"""Map pages: the public map and its list view, the staff map, feature details and GeoJSON feeds.

The list view is server-rendered and paginated so that the map is never the only way to the
information; the map page itself shows the same list when JavaScript is off.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language

from musubi.data.maps import permissions, services
from musubi.data.maps.models import Feature, Layer
from musubi.platform.accounts.decorators import staff_required

PAGE_SIZE = 20


def _english() -> bool:
    return (get_language() or "ja").startswith("en")


def layer_label(layer: Layer) -> dict[str, str]:
    """A layer's name, legend and source note in the current language."""
    english = _english()
    return {
        "name": layer.name_en if english else layer.name,
        "legend": (layer.legend_en if english else layer.legend) or "",
        "note": (layer.source_note_en if english else layer.source_note) or "",
    }


def _selected(request: HttpRequest, layers: list[Layer]) -> list[Layer]:
    codes = request.GET.getlist("layer")
    return [layer for layer in layers if layer.code in codes] if codes else layers


def _map_context(request: HttpRequest, layers: list[Layer], staff: bool) -> dict[str, Any]:
    chosen = _selected(request, layers)
    query = request.GET.get("q", "").strip()
    found = services.search(Layer.objects.filter(pk__in=[lay.pk for lay in chosen]), query)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = request.GET.copy()
    kept.pop("page", None)
    feed = "maps:staff_layer_geojson" if staff else "maps:layer_geojson"
    return {
        "layers": [
            {
                "layer": layer,
                "label": layer_label(layer),
                "chosen": layer in chosen,
                "feed": reverse(feed, args=[layer.code]),
            }
            for layer in layers
        ],
        "query": query,
        "page": page,
        "kept_query": kept.urlencode(),
        "staff": staff,
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }


def public_map(request: HttpRequest) -> HttpResponse:
    layers = list(services.public_layers())
    return render(request, "maps/map.html", _map_context(request, layers, staff=False))


def public_list(request: HttpRequest) -> HttpResponse:
    layers = list(services.public_layers())
    return render(request, "maps/list.html", _map_context(request, layers, staff=False))


@staff_required(permissions.VIEW_INTERNAL)
def staff_map(request: HttpRequest) -> HttpResponse:
    layers = list(services.visible_layers(request.user))
    context = _map_context(request, layers, staff=True)
    context["editable"] = {lay.code for lay in layers if services.can_edit(request.user, lay)}
    context["manages_layers"] = bool(services.managed_departments(request.user))
    return render(request, "maps/map.html", context)


def _feature_page(request: HttpRequest, feature: Feature, staff: bool) -> HttpResponse:
    context = {
        "feature": feature,
        "label": layer_label(feature.layer),
        "properties": sorted(feature.properties.items()),
        "staff": staff,
        "can_edit": staff and services.can_edit(request.user, feature.layer),
    }
    return render(request, "maps/feature.html", context)


def feature_detail(request: HttpRequest, pk: int) -> HttpResponse:
    feature = get_object_or_404(Feature.objects.select_related("layer"), pk=pk)
    if not feature.layer.is_public:
        raise Http404
    return _feature_page(request, feature, staff=False)


@staff_required(permissions.VIEW_INTERNAL)
def staff_feature_detail(request: HttpRequest, pk: int) -> HttpResponse:
    feature = get_object_or_404(Feature.objects.select_related("layer"), pk=pk)
    return _feature_page(request, feature, staff=True)


def _feed(layer: Layer, detail_name: str) -> JsonResponse:
    features = []
    for feature in layer.features.order_by("id"):
        document = services.as_geojson(feature)
        document["properties"]["url"] = reverse(detail_name, args=[feature.pk])
        features.append(document)
    return JsonResponse(
        {"type": "FeatureCollection", "features": features},
        content_type="application/geo+json",
        json_dumps_params={"ensure_ascii": False},
    )


def layer_geojson(request: HttpRequest, code: str) -> JsonResponse:
    layer = get_object_or_404(services.public_layers(), code=code)
    return _feed(layer, "maps:feature")


@staff_required(permissions.VIEW_INTERNAL)
def staff_layer_geojson(request: HttpRequest, code: str) -> JsonResponse:
    layer = get_object_or_404(services.visible_layers(request.user), code=code)
    return _feed(layer, "maps:staff_feature")
