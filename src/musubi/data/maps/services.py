"""The maps app's public functions: layers, imports, feature edits and spatial questions.

Other apps (open data, disaster support, tourism) call only this module. Points are
``(longitude, latitude)`` in WGS84, the GeoJSON order; distances are geodesic metres on the
GRS80/WGS84 ellipsoid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _
from pyproj import Geod
from shapely.geometry import Point, shape
from shapely.ops import nearest_points

from musubi.data.maps import geometry, importers, permissions
from musubi.data.maps.models import Feature, Layer, Visibility
from musubi.platform.accounts import services as accounts
from musubi.platform.events.services import publish

GEOD = Geod(ellps="WGS84")
METRES_PER_DEGREE = 111_320.0
LonLat = tuple[float, float]


# Layers and features as other apps see them --------------------------------------------------


def as_geojson(feature: Feature) -> dict[str, Any]:
    """A feature as a GeoJSON Feature; ``name`` and ``address`` are added to its properties."""
    properties = {**feature.properties, "name": feature.name}
    if feature.address:
        properties["address"] = feature.address
    return {
        "type": "Feature",
        "id": feature.pk,
        "geometry": feature.geometry,
        "properties": properties,
    }


def layer_features(code: str) -> list[dict[str, Any]]:
    """Every feature of layer ``code`` as GeoJSON Features (whatever the layer's visibility).

    Raises ``Layer.DoesNotExist`` for an unknown code. Callers publishing data must check
    ``Layer.is_public`` themselves.
    """
    layer = Layer.objects.get(code=code)
    return [as_geojson(f) for f in layer.features.order_by("id")]


def layer_version(code: str) -> str:
    """A cheap key that moves whenever layer ``code`` or any of its features changes.

    One query (the layer's visibility and last change, its feature count and newest feature
    change), so publishers such as open data can tell whether to regenerate without reading
    every feature. Raises ``Layer.DoesNotExist`` for an unknown code.
    """
    row = (
        Layer.objects.filter(code=code)
        .annotate(n=Count("features"), changed=Max("features__updated_at"))
        .values_list("visibility", "updated_at", "n", "changed")
        .get()
    )
    return "|".join(str(value) for value in row)


def with_feature_counts(layers: QuerySet[Layer]) -> QuerySet[Layer]:
    """``layers`` with ``feature_count`` and their department, in one query."""
    counted = layers.select_related("department").annotate(feature_count=Count("features"))
    return counted.order_by("code")


def public_layers() -> QuerySet[Layer]:
    return Layer.objects.filter(visibility=Visibility.PUBLIC)


def visible_layers(user: Any) -> QuerySet[Layer]:
    """Public layers for everyone; internal ones too for staff granted ``maps.view_internal``."""
    if accounts.has_permission(user, permissions.VIEW_INTERNAL):
        return Layer.objects.all()
    return public_layers()


def search(layers: QuerySet[Layer], query: str) -> QuerySet[Feature]:
    """Features of ``layers`` whose name or address contains ``query``."""
    features = Feature.objects.filter(layer__in=layers).select_related("layer")
    query = query.strip()
    if query:
        features = features.filter(Q(name__icontains=query) | Q(address__icontains=query))
    return features.order_by("layer__code", "name", "id")


# Spatial questions --------------------------------------------------------------------------


def _candidates_near(layer_code: str, point: LonLat, metres: float | None) -> QuerySet[Feature]:
    """Features of the layer, narrowed by bounding box when a distance bounds the search."""
    features = Feature.objects.filter(layer__code=layer_code)
    if metres is None:
        return features
    lon, lat = point
    dlat = metres / METRES_PER_DEGREE
    dlon = metres / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return features.filter(
        min_lon__lte=lon + dlon,
        max_lon__gte=lon - dlon,
        min_lat__lte=lat + dlat,
        max_lat__gte=lat - dlat,
    )


def distance_metres(point: LonLat, feature: Feature) -> float:
    """Geodesic distance from ``point`` to the nearest part of the feature (0 inside a polygon)."""
    target = shape(feature.geometry)
    origin = Point(point)
    if target.covers(origin):
        return 0.0
    nearest = nearest_points(target, origin)[0]
    return GEOD.inv(point[0], point[1], nearest.x, nearest.y)[2]


def containing(point: LonLat, layer_code: str) -> list[Feature]:
    """Polygons of the layer that contain ``point`` (boundary included): e.g. which 区 am I in."""
    lon, lat = point
    boxed = Feature.objects.filter(
        layer__code=layer_code,
        min_lon__lte=lon,
        max_lon__gte=lon,
        min_lat__lte=lat,
        max_lat__gte=lat,
    )
    origin = Point(point)
    return [f for f in boxed if shape(f.geometry).covers(origin)]


def nearest(point: LonLat, layer_code: str, n: int = 1) -> list[tuple[Feature, float]]:
    """The ``n`` features of the layer closest to ``point``, with their distance in metres."""
    measured = [(f, distance_metres(point, f)) for f in _candidates_near(layer_code, point, None)]
    return sorted(measured, key=lambda pair: (pair[1], pair[0].pk))[:n]


def within_distance(point: LonLat, layer_code: str, metres: float) -> list[tuple[Feature, float]]:
    """Features of the layer within ``metres`` of ``point``, nearest first."""
    measured = [(f, distance_metres(point, f)) for f in _candidates_near(layer_code, point, metres)]
    return sorted([m for m in measured if m[1] <= metres], key=lambda pair: (pair[1], pair[0].pk))


# Editing ------------------------------------------------------------------------------------


def can_edit(user: Any, layer: Layer) -> bool:
    """Only the owning department's staff holding ``maps.edit`` change a layer's features."""
    return layer.department in accounts.departments_granting(user, permissions.EDIT)


def _stored(feature: Feature, candidate: importers.Candidate) -> Feature:
    box = geometry.bbox_of(candidate.geometry)
    feature.geometry = candidate.geometry
    feature.properties = candidate.properties
    feature.name = candidate.name
    feature.address = candidate.address
    feature.min_lon, feature.min_lat = box.min_lon, box.min_lat
    feature.max_lon, feature.max_lat = box.max_lon, box.max_lat
    return feature


def save_feature(
    layer: Layer,
    geojson_geometry: Any,
    properties: dict[str, Any],
    *,
    name: str,
    address: str = "",
    feature: Feature | None = None,
) -> Feature:
    """Create or replace one feature after the same checks an import makes (GeometryError)."""
    geom = geometry.check(geometry.parse(geojson_geometry), layer.geometry_type)
    candidate = importers.Candidate(geom, properties, name.strip(), address.strip())
    stored = _stored(feature or Feature(layer=layer), candidate)
    with transaction.atomic():
        stored.save()
        layer.save(update_fields=["updated_at"])
    publish("maps.layer_changed", layer=layer.code)
    return stored


def delete_feature(feature: Feature) -> None:
    """Delete one feature; the layer's own change time moves so ``layer_version`` does too."""
    layer = feature.layer
    with transaction.atomic():
        feature.delete()
        layer.save(update_fields=["updated_at"])
    publish("maps.layer_changed", layer=layer.code)


# Layers -------------------------------------------------------------------------------------


class LayerInUse(Exception):
    """A layer still holding features is deleted only when the features' loss is confirmed."""

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(
            _("このレイヤには地物が%(count)d件あります。地物ごと削除することを確認してください。")
            % {"count": count}
        )


def managed_departments(user: Any) -> list[Any]:
    """Departments whose layers ``user`` may create, change and delete."""
    return list(accounts.departments_granting(user, permissions.MANAGE_LAYERS))


def can_manage(user: Any, layer: Layer) -> bool:
    return layer.department in managed_departments(user)


def save_layer(layer: Layer) -> Layer:
    """Store a new or changed layer; subscribers (open data…) hear that it changed."""
    layer.save()
    publish("maps.layer_changed", layer=layer.code)
    return layer


def delete_layer(layer: Layer, *, with_features: bool = False) -> int:
    """Delete the layer; refused (LayerInUse) while it has features unless ``with_features``.

    Returns how many features went with it.
    """
    with transaction.atomic():
        count = layer.features.count()
        if count and not with_features:
            raise LayerInUse(count)
        code = layer.code
        layer.delete()
    publish("maps.layer_changed", layer=code)
    return count


# Import -------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """The outcome of an import: how many features, the problems, and any reprojection."""

    layer: str
    fmt: str
    count: int = 0
    problems: list[str] = field(default_factory=list)
    transformed_from: str = ""
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def import_features(
    layer: Layer, data: bytes, fmt: str, *, replace: bool = False, dry_run: bool = False
) -> ImportReport:
    """Import a file into ``layer``: all features or none (any problem refuses the whole file).

    ``replace`` removes the layer's current features in the same transaction; ``dry_run``
    checks everything and writes nothing.
    """
    report = ImportReport(layer=layer.code, fmt=fmt, dry_run=dry_run)
    if fmt not in importers.FORMATS:
        report.problems.append(_("形式 %(fmt)s には対応していません。") % {"fmt": fmt})
        return report
    reading = importers.read(data, fmt, layer.geometry_type)
    report.problems = reading.problems
    report.count = len(reading.candidates)
    if reading.reprojection.transform:
        report.transformed_from = reading.reprojection.name
    if not reading.candidates and not reading.problems:
        report.problems.append(_("取り込む地物がありません。"))
    if report.problems:
        return report
    if not dry_run:
        _write(layer, reading.candidates, replace)
    return report


def _write(layer: Layer, candidates: list[importers.Candidate], replace: bool) -> None:
    with transaction.atomic():
        if replace:
            layer.features.all().delete()
        Feature.objects.bulk_create(_stored(Feature(layer=layer), c) for c in candidates)
        layer.save(update_fields=["updated_at"])
        publish("maps.layer_changed", layer=layer.code)
