"""Layers for the maps tests: an empty layer of any kind, and the shipped demo layers."""

from __future__ import annotations

import io
import zipfile

import pytest
import shapefile
from pyproj import CRS
from pyproj.enums import WktVersion

from musubi.data.maps import demo
from musubi.data.maps.models import Layer
from musubi.platform.accounts.models import Department

CITY_HALL = (137.93389, 35.72889)


@pytest.fixture
def make_layer(db):
    """``make_layer(code, geometry_type="Point", department="kikikanri", visibility="public")``."""

    def make(code: str, geometry_type: str = "Point", department: str = "kikikanri", **fields):
        owner, _ = Department.objects.get_or_create(code=department, defaults={"name": department})
        return Layer.objects.create(
            code=code,
            name=f"{code}（試験）",
            name_en=f"{code} (test)",
            department=owner,
            geometry_type=geometry_type,
            **fields,
        )

    return make


@pytest.fixture
def demo_layers(db):
    demo.seed()
    return {layer.code: layer for layer in Layer.objects.all()}


def _zipped_shapefile(points: list[tuple[float, float, str]], epsg: int | None) -> bytes:
    """A zipped point Shapefile with a 名称 field; a .prj for ``epsg`` unless it is None."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(
        shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POINT, encoding="utf-8"
    ) as w:
        w.field("名称", "C", size=50)
        for x, y, name in points:
            w.point(x, y)
            w.record(name)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("points.shp", shp.getvalue())
        z.writestr("points.shx", shx.getvalue())
        z.writestr("points.dbf", dbf.getvalue())
        z.writestr("points.cpg", "UTF-8")
        if epsg is not None:
            z.writestr("points.prj", CRS.from_epsg(epsg).to_wkt(WktVersion.WKT1_ESRI))
    return archive.getvalue()


@pytest.fixture
def zipped_shapefile():
    """``zipped_shapefile([(x, y, name), …], epsg)`` → the bytes of a zipped Shapefile."""
    return _zipped_shapefile
