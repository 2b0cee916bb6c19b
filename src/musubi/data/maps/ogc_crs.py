"""OGC API – Features Part 2 (CRS by reference): features and bounding boxes in another CRS.

Features are stored in CRS84 (longitude, latitude). A client may ask for any CRS listed in
data/ogc_crs.json with ``crs`` and give its ``bbox`` in one with ``bbox-crs``; coordinates
then follow that CRS's own axis order (EPSG:4326 is latitude first), as Part 2 requires.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
from django.utils.translation import gettext as _
from pyproj import CRS, Transformer
from shapely.geometry import mapping, shape

from musubi.data.maps.ogc_errors import BadParameter

DATA = Path(__file__).resolve().parent / "data" / "ogc_crs.json"


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def storage() -> str:
    return _table()["storage"]


def supported() -> list[str]:
    return list(_table()["supported"])


def checked(uri: str | None, name: str) -> str:
    """The CRS URI a ``crs``/``bbox-crs`` parameter names (CRS84 when absent), else 400."""
    if uri is None:
        return storage()
    if uri not in supported():
        raise BadParameter(
            _("%(name)s に使える座標参照系は次のとおりです: %(list)s")
            % {"name": name, "list": ", ".join(supported())}
        )
    return uri


@lru_cache(maxsize=8)
def _crs(uri: str) -> CRS:
    return CRS.from_user_input(uri)


@lru_cache(maxsize=16)
def _transformer(source: str, target: str) -> Transformer:
    """Authority axis order on both sides (no ``always_xy``): EPSG:4326 stays lat/lon."""
    return Transformer.from_crs(_crs(source), _crs(target))


def to_crs(geometry: dict[str, Any], uri: str) -> dict[str, Any]:
    """A stored (CRS84) GeoJSON geometry in ``uri``'s coordinates and axis order."""
    if uri == storage():
        return geometry
    transformer = _transformer(storage(), uri)
    moved = shapely.transform(shape(geometry), transformer.transform, interleaved=False)
    return mapping(moved)


def box_to_storage(box: tuple[float, float, float, float], uri: str) -> tuple[float, ...]:
    """A bbox given in ``uri`` (its axis order) as (min lon, min lat, max lon, max lat)."""
    if uri == storage():
        return box
    return _transformer(uri, storage()).transform_bounds(*box)
