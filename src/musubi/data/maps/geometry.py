"""Checking and normalising geometries before they reach a layer.

Everything stored is WGS84 lon/lat GeoJSON. Input in another reference system is transformed only
when it is one we know for Japan (data/crs.json) and the caller is told so; anything else is
refused rather than guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import shapely
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

DATA = Path(__file__).resolve().parent / "data"
WGS84 = 4326


@cache
def reference() -> dict[str, Any]:
    """The accepted reference systems, Japan's extent and the attribute names we recognise."""
    return json.loads((DATA / "crs.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Bbox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


class GeometryError(ValueError):
    """A geometry that cannot go on a layer; the message says why, in the user's language."""


def bbox_of(geometry: dict[str, Any]) -> Bbox:
    return Bbox(*shape(geometry).bounds)


def in_japan(lon: float, lat: float) -> bool:
    box = reference()["japan_extent"]
    return box["min_lon"] <= lon <= box["max_lon"] and box["min_lat"] <= lat <= box["max_lat"]


def check_position(lon: float, lat: float) -> None:
    """Refuse a position outside Japan, and name the likely cause when lat/lon are swapped."""
    if in_japan(lon, lat):
        return
    if in_japan(lat, lon):
        raise GeometryError(
            _("緯度と経度が入れ替わっているようです（経度 %(lon)s、緯度 %(lat)s）。")
            % {"lon": lon, "lat": lat}
        )
    raise GeometryError(
        _("座標（経度 %(lon)s、緯度 %(lat)s）が日本の範囲外です。") % {"lon": lon, "lat": lat}
    )


def _positions(geom: BaseGeometry) -> list[tuple[float, float]]:
    if hasattr(geom, "geoms"):
        return [p for part in geom.geoms for p in _positions(part)]
    if geom.geom_type == "Polygon":
        rings = [geom.exterior, *geom.interiors]
        return [c[:2] for ring in rings for c in ring.coords]
    return [c[:2] for c in geom.coords]


def parse(geometry: Any) -> BaseGeometry:
    """A shapely geometry from a GeoJSON geometry, or a GeometryError saying what is wrong."""
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise GeometryError(_("geometry がありません、または GeoJSON の形ではありません。"))
    try:
        return shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise GeometryError(_("geometry を読めません: %(error)s") % {"error": exc}) from exc


def check(geom: BaseGeometry, layer_type: str) -> dict[str, Any]:
    """Validate a WGS84 geometry for a layer of ``layer_type``; return it as GeoJSON."""
    if geom.is_empty:
        raise GeometryError(_("図形が空です。"))
    if geom.geom_type not in (layer_type, "Multi" + layer_type):
        raise GeometryError(
            _("図形の種類 %(found)s はこのレイヤ（%(expected)s）に合いません。")
            % {"found": geom.geom_type, "expected": layer_type}
        )
    for lon, lat in _positions(geom):
        check_position(lon, lat)
    if not geom.is_valid:
        raise GeometryError(
            _("図形が不正です（自己交差など）: %(reason)s") % {"reason": explain_validity(geom)}
        )
    return mapping(geom)


@dataclass(frozen=True)
class Reprojection:
    """How input coordinates become WGS84: the source system, and whether a transform happens."""

    epsg: int
    name: str
    transform: bool

    def apply(self, geom: BaseGeometry) -> BaseGeometry:
        if not self.transform:
            return geom
        return shapely.transform(geom, _transformer(self.epsg).transform, interleaved=False)


@cache
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(epsg, WGS84, always_xy=True)


def reprojection_for_prj(wkt: str) -> Reprojection:
    """The accepted reference system a Shapefile's .prj names, or a GeometryError."""
    try:
        crs = CRS.from_wkt(wkt)
    except CRSError as exc:
        raise GeometryError(_(".prj の座標参照系を読めません。")) from exc
    epsg = crs.to_epsg(min_confidence=70)
    accepted = reference()["accepted"]
    if epsg is None or str(epsg) not in accepted:
        raise GeometryError(
            _(
                "座標参照系「%(name)s」には対応していません"
                "（WGS84、JGD2011/JGD2000 の緯度経度または平面直角座標系第VIII系のみ）。"
            )
            % {"name": crs.name}
        )
    entry = accepted[str(epsg)]
    return Reprojection(epsg=epsg, name=entry["name"], transform=entry["transform"])


WGS84_INPUT = Reprojection(epsg=WGS84, name="WGS 84", transform=False)
