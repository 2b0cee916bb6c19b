"""Reading GeoJSON, CSV (latitude/longitude columns) and zipped Shapefiles into candidate features.

Readers never write: they return every candidate and every problem, each problem naming the
feature number or line and field, so the import can be refused as a whole and fixed in one pass.
"""

from __future__ import annotations

import csv
import io
import json
import struct
import zipfile
from dataclasses import dataclass, field
from typing import Any

import shapefile
from django.utils.translation import gettext as _
from shapely.geometry import Point

from musubi.data.maps import geometry
from musubi.data.maps.geometry import GeometryError, Reprojection


@dataclass
class Candidate:
    """A feature ready to be stored: WGS84 GeoJSON geometry, attributes, name and address."""

    geometry: dict[str, Any]
    properties: dict[str, Any]
    name: str
    address: str


@dataclass
class Reading:
    """What a reader found: candidates, problems, and the reference system it converted from."""

    candidates: list[Candidate] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    reprojection: Reprojection = geometry.WGS84_INPUT


FORMATS = ("geojson", "csv", "shapefile")


def guess_format(filename: str) -> str | None:
    lower = filename.lower()
    if lower.endswith((".geojson", ".json")):
        return "geojson"
    if lower.endswith((".csv", ".txt")):
        return "csv"
    if lower.endswith(".zip"):
        return "shapefile"
    return None


def read(data: bytes, fmt: str, layer_type: str) -> Reading:
    readers = {"geojson": read_geojson, "csv": read_csv, "shapefile": read_shapefile}
    return readers[fmt](data, layer_type)


def _first(properties: dict[str, Any], keys: list[str]) -> str:
    for key in keys:
        value = properties.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def _candidate(geom: Any, properties: dict[str, Any], layer_type: str) -> Candidate:
    ref = geometry.reference()
    return Candidate(
        geometry=geometry.check(geom, layer_type),
        properties=properties,
        name=_first(properties, ref["name_keys"])[:200],
        address=_first(properties, ref["address_keys"])[:300],
    )


# GeoJSON ------------------------------------------------------------------------------------


def read_geojson(data: bytes, layer_type: str) -> Reading:
    reading = Reading()
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        reading.problems.append(_("GeoJSON は UTF-8 で保存してください。"))
        return reading
    except json.JSONDecodeError as exc:
        reading.problems.append(
            _("GeoJSON として読めません（%(line)s行目 %(column)s文字目）: %(error)s")
            % {"line": exc.lineno, "column": exc.colno, "error": exc.msg}
        )
        return reading
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        reading.problems.append(_("GeoJSON の最上位は FeatureCollection にしてください。"))
        return reading
    features = document.get("features")
    if not isinstance(features, list):
        reading.problems.append(_("FeatureCollection に features の配列がありません。"))
        return reading
    for number, item in enumerate(features, start=1):
        _read_geojson_feature(reading, number, item, layer_type)
    return reading


def _read_geojson_feature(reading: Reading, number: int, item: Any, layer_type: str) -> None:
    where = _("地物 %(number)s") % {"number": number}
    if not isinstance(item, dict) or item.get("type") != "Feature":
        reading.problems.append(_("%(where)s: Feature ではありません。") % {"where": where})
        return
    properties = item.get("properties") or {}
    if not isinstance(properties, dict):
        reading.problems.append(
            _("%(where)s: properties がオブジェクトではありません。") % {"where": where}
        )
        return
    try:
        geom = geometry.parse(item.get("geometry"))
        reading.candidates.append(_candidate(geom, properties, layer_type))
    except GeometryError as exc:
        reading.problems.append(f"{where}: geometry: {exc}")


# CSV ----------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Text from UTF-8 (with or without BOM) or, failing that, CP932 (Excel's Japanese CSV)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932")


def read_csv(data: bytes, layer_type: str) -> Reading:
    reading = Reading()
    if layer_type != "Point":
        reading.problems.append(_("CSV（緯度・経度の列）は点のレイヤにだけ取り込めます。"))
        return reading
    try:
        text = decode_text(data)
    except UnicodeDecodeError:
        reading.problems.append(_("CSV の文字コードは UTF-8 か Shift_JIS（CP932）にしてください。"))
        return reading
    rows = csv.DictReader(io.StringIO(text, newline=""))
    columns = _coordinate_columns(rows.fieldnames or [])
    if columns is None:
        reading.problems.append(
            _("CSV に緯度と経度の列（緯度/経度 または latitude/longitude）がありません。")
        )
        return reading
    for line, row in enumerate(rows, start=2):
        _read_csv_row(reading, line, row, columns, layer_type)
    return reading


def _coordinate_columns(names: list[str]) -> tuple[str, str] | None:
    ref = geometry.reference()
    lat = next((n for n in names if n.strip() in ref["latitude_columns"]), None)
    lon = next((n for n in names if n.strip() in ref["longitude_columns"]), None)
    return (lat, lon) if lat and lon else None


def _read_csv_row(
    reading: Reading, line: int, row: dict[str, Any], columns: tuple[str, str], layer_type: str
) -> None:
    where = _("%(line)s行目") % {"line": line}
    values = {}
    for column in columns:
        raw = (row.get(column) or "").strip()
        try:
            values[column] = float(raw)
        except ValueError:
            reading.problems.append(
                _("%(where)s、列「%(column)s」: 数値ではありません（%(value)s）。")
                % {"where": where, "column": column, "value": raw or _("空欄")}
            )
    if len(values) < 2:
        return
    lat, lon = values[columns[0]], values[columns[1]]
    properties = {k: v for k, v in row.items() if k is not None and k not in columns}
    try:
        reading.candidates.append(_candidate(Point(lon, lat), properties, layer_type))
    except GeometryError as exc:
        reading.problems.append(
            _("%(where)s、列「%(lat)s」「%(lon)s」: %(error)s")
            % {"where": where, "lat": columns[0], "lon": columns[1], "error": exc}
        )


# Shapefile ----------------------------------------------------------------------------------


def read_shapefile(data: bytes, layer_type: str) -> Reading:
    reading = Reading()
    try:
        parts = _shapefile_parts(data)
        reading.reprojection = geometry.reprojection_for_prj(parts["prj"].decode("latin-1"))
    except GeometryError as exc:
        reading.problems.append(str(exc))
        return reading
    try:
        shapes = _shape_records(parts)
    except (shapefile.ShapefileException, ValueError, struct.error) as exc:
        reading.problems.append(_("Shapefile を読めません: %(error)s") % {"error": exc})
        return reading
    for number, (geo, properties) in enumerate(shapes, start=1):
        where = _("地物 %(number)s") % {"number": number}
        try:
            geom = reading.reprojection.apply(geometry.parse(geo))
            reading.candidates.append(_candidate(geom, properties, layer_type))
        except GeometryError as exc:
            reading.problems.append(f"{where}: {exc}")
    return reading


def _shapefile_parts(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise GeometryError(
            _("Shapefile は .shp/.shx/.dbf/.prj をまとめた ZIP で送ってください。")
        ) from exc
    parts: dict[str, bytes] = {}
    for info in archive.infolist():
        suffix = info.filename.rsplit(".", 1)[-1].lower()
        if suffix in ("shp", "shx", "dbf", "prj", "cpg") and suffix not in parts:
            parts[suffix] = archive.read(info)
    missing = [s for s in ("shp", "shx", "dbf") if s not in parts]
    if missing:
        raise GeometryError(
            _("ZIP に .%(missing)s がありません。") % {"missing": ", .".join(missing)}
        )
    if "prj" not in parts:
        raise GeometryError(
            _("ZIP に .prj（座標参照系）がありません。座標系の分からないデータは取り込めません。")
        )
    return parts


def _shape_records(parts: dict[str, bytes]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    encoding = parts["cpg"].decode("ascii", "ignore").strip() if "cpg" in parts else None
    for candidate in [encoding] if encoding else ["utf-8", "cp932"]:
        try:
            return _records_in(parts, candidate)
        except UnicodeDecodeError:
            continue
    raise ValueError(_(".dbf の文字コードが分かりません（.cpg を添えてください）。"))


def _records_in(
    parts: dict[str, bytes], encoding: str
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    reader = shapefile.Reader(
        shp=io.BytesIO(parts["shp"]),
        shx=io.BytesIO(parts["shx"]),
        dbf=io.BytesIO(parts["dbf"]),
        encoding=encoding,
        encodingErrors="strict",
    )
    return [
        (record.shape.__geo_interface__, record.record.as_dict())
        for record in reader.iterShapeRecords()
    ]
