"""OGC API – Features, Part 1 (Core) and Part 2 (CRS) for public layers: query parsing and
response documents.

Views stay thin (ogc_views.py); this module turns a request's parameters into a query, and
features into the FeatureCollection with numberMatched/numberReturned and paging links.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Max, Min, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from musubi.data.maps import ogc_crs, services
from musubi.data.maps.models import Feature, Layer
from musubi.data.maps.ogc_errors import BadParameter

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
ITEM_PARAMETERS = {"f", "bbox", "bbox-crs", "crs", "limit", "offset", "datetime"}
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GEOJSON = "application/geo+json"

__all__ = ["BadParameter"]


@dataclass(frozen=True)
class ItemQuery:
    bbox: tuple[float, float, float, float] | None
    limit: int
    offset: int
    interval: tuple[dt.datetime | None, dt.datetime | None] | None
    crs: str = CRS84


def parse_items_query(params: dict[str, str]) -> ItemQuery:
    """Parse ``bbox`` (in ``bbox-crs``), ``crs``, ``limit``, ``offset`` and ``datetime``;
    unknown parameters are refused."""
    unknown = sorted(set(params) - ITEM_PARAMETERS)
    if unknown:
        raise BadParameter(_("不明なパラメータです: %(names)s") % {"names": ", ".join(unknown)})
    limit = min(_integer(params, "limit", DEFAULT_LIMIT, minimum=1), MAX_LIMIT)
    return ItemQuery(
        bbox=_bbox(params.get("bbox"), ogc_crs.checked(params.get("bbox-crs"), "bbox-crs")),
        limit=limit,
        offset=_integer(params, "offset", 0, minimum=0),
        interval=_interval(params.get("datetime")),
        crs=ogc_crs.checked(params.get("crs"), "crs"),
    )


def _integer(params: dict[str, str], name: str, default: int, minimum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise BadParameter(
            _("%(name)s は %(minimum)s 以上の整数にしてください。")
            % {"name": name, "minimum": minimum}
        )
    return value


def _bbox(raw: str | None, crs: str = CRS84) -> tuple[float, float, float, float] | None:
    """The box in CRS84; one given in another ``bbox-crs`` is transformed first."""
    if raw is None:
        return None
    try:
        numbers = [float(part) for part in raw.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) == 6:  # 3D box: drop the heights
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) == 4 and crs != CRS84:
        if numbers[0] > numbers[2] or numbers[1] > numbers[3]:
            raise BadParameter(_("bbox の最小値が最大値を超えています。"))
        numbers = list(ogc_crs.box_to_storage((*numbers,), crs))
    if len(numbers) != 4 or not _plausible_box(*numbers):
        raise BadParameter(_("bbox は「最小経度,最小緯度,最大経度,最大緯度」で指定してください。"))
    return numbers[0], numbers[1], numbers[2], numbers[3]


def _plausible_box(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> bool:
    return -180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90


def _instant(raw: str, end: bool) -> dt.datetime | None:
    if raw in ("", ".."):
        return None
    moment = parse_datetime(raw)
    if moment is None:
        day = parse_date(raw)
        if day is None:
            raise BadParameter(_("datetime は RFC 3339 の日時か期間で指定してください。"))
        moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return moment


def _interval(raw: str | None) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    if raw is None:
        return None
    try:
        if "/" in raw:
            start, end = raw.split("/", 1)
            return _instant(start, end=False), _instant(end, end=True)
        return _instant(raw, end=False), _instant(raw, end=True)
    except ValueError as exc:
        raise BadParameter(_("datetime は RFC 3339 の日時か期間で指定してください。")) from exc


def filtered(layer: Layer, query: ItemQuery) -> QuerySet[Feature]:
    features = layer.features.order_by("id")
    if query.bbox:
        min_lon, min_lat, max_lon, max_lat = query.bbox
        features = features.filter(
            max_lon__gte=min_lon, min_lon__lte=max_lon, max_lat__gte=min_lat, min_lat__lte=max_lat
        )
    if query.interval:
        start, end = query.interval
        if start:
            features = features.filter(updated_at__gte=start)
        if end:
            features = features.filter(updated_at__lte=end)
    return features


def extent(layer: Layer) -> dict[str, Any]:
    box = layer.features.aggregate(
        a=Min("min_lon"), b=Min("min_lat"), c=Max("max_lon"), d=Max("max_lat"), t=Max("updated_at")
    )
    spatial = (
        [box["a"], box["b"], box["c"], box["d"]] if box["a"] is not None else [-180, -90, 180, 90]
    )
    latest = box["t"].isoformat().replace("+00:00", "Z") if box["t"] else None
    return {
        "spatial": {"bbox": [spatial], "crs": CRS84},
        "temporal": {"interval": [[None, latest]]},
    }


def link(href: str, rel: str, media: str, title: str = "") -> dict[str, str]:
    entry = {"href": href, "rel": rel, "type": media}
    if title:
        entry["title"] = title
    return entry


def collection_document(layer: Layer, base: str, english: bool) -> dict[str, Any]:
    url = f"{base}/collections/{layer.code}"
    title = layer.name_en if english else layer.name
    return {
        "id": layer.code,
        "title": title,
        "description": (layer.description_en if english else layer.description) or title,
        "extent": extent(layer),
        "itemType": "feature",
        "crs": ogc_crs.supported(),
        "storageCrs": ogc_crs.storage(),
        "links": [
            link(url, "self", "application/json"),
            link(f"{url}?f=html", "alternate", "text/html"),
            link(f"{url}/items", "items", GEOJSON),
            link(f"{url}/items?f=html", "items", "text/html"),
        ],
    }


def page_links(url: str, params: dict[str, str], query: ItemQuery, matched: int) -> list[dict]:
    """self/alternate plus next and prev, keeping every other parameter the client gave."""

    def at(offset: int, fmt: str | None = None) -> str:
        kept = {k: v for k, v in params.items() if k not in ("offset", "f")}
        kept.update({"offset": str(offset), "limit": str(query.limit)})
        if fmt:
            kept["f"] = fmt
        return f"{url}?{urlencode(kept)}"

    links = [
        link(at(query.offset), "self", GEOJSON),
        link(at(query.offset, "html"), "alternate", "text/html"),
    ]
    if query.offset + query.limit < matched:
        links.append(link(at(query.offset + query.limit), "next", GEOJSON))
    if query.offset > 0:
        links.append(link(at(max(query.offset - query.limit, 0)), "prev", GEOJSON))
    return links


def in_crs(feature: dict[str, Any], crs: str) -> dict[str, Any]:
    """A GeoJSON feature with its geometry in ``crs`` (unchanged for CRS84)."""
    return {**feature, "geometry": ogc_crs.to_crs(feature["geometry"], crs)}


def items_document(
    layer: Layer, url: str, params: dict[str, str], query: ItemQuery
) -> tuple[dict[str, Any], list[Feature]]:
    features = filtered(layer, query)
    matched = features.count()
    page = list(features[query.offset : query.offset + query.limit])
    document = {
        "type": "FeatureCollection",
        "features": [in_crs(services.as_geojson(f), query.crs) for f in page],
        "numberMatched": matched,
        "numberReturned": len(page),
        "timeStamp": timezone.now().isoformat().replace("+00:00", "Z"),
        "links": page_links(url, params, query, matched),
    }
    return document, page
