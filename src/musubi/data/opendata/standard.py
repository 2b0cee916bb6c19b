"""自治体標準オープンデータセット generated live from platform data.

Each generator names its schema file (data/schemas/), a cheap *version* of its source and a
function producing the rows. ``refresh`` regenerates a resource only when the version moved,
keeps the output on the resource row, and advances the dataset's last update only when the
content really changed — so a download is fast and the age shown is the data's true age.

Population (04 地域・年齢別人口) counts people by 区, 5-year band and sex from the registry's
aggregates; any cell under 10 is suppressed, plus whatever cell would let it be recovered
by subtraction from a published total. Layer datasets (01 公共施設, 03 指定緊急避難場所,
05 子育て施設, 08 AED, 11 観光施設, 12 イベント) come from the maps app's public layers through
``musubi.data.maps.services``; their version is ``maps.layer_version`` (one query), and older
attribute names (住所, 方書 …) reach the standard columns through data/aliases.json.
01 公共施設一覧 comes from the booking facilities (``bookings.public_facilities``, one row per
facility) when any has a position, and from the facilities layer otherwise.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from musubi.citizen.bookings import services as bookings
from musubi.data.maps import services as maps
from musubi.data.maps.models import Layer
from musubi.data.opendata import queries, reference, tables
from musubi.data.opendata.errors import CatalogueError
from musubi.data.opendata.models import Dataset, Resource
from musubi.platform.residents import services as residents

MALE, FEMALE = "1", "2"
UNAVAILABLE = "unavailable"
BAND_STARTS = list(range(0, 90, 5))  # 0-4 … 80-84, then 85歳以上
SMALL = 10


@dataclass(frozen=True)
class Generator:
    code: str
    schema: str
    version: Callable[[], str]
    rows: Callable[[], list[list[str]]]

    @property
    def filename(self) -> str:
        return f"{residents.load_city()['code']}_{self.schema}.csv"


def _city_name() -> str:
    city = residents.load_city()
    return f"{city['prefecture']}{city['name']}"


# --- 04 地域・年齢別人口 -----------------------------------------------------------------------


def _age(birthdate: date, on: date) -> int:
    return on.year - birthdate.year - ((on.month, on.day) < (birthdate.month, birthdate.day))


def _band(age: int) -> int:
    return min(age // 5, len(BAND_STARTS) - 1)


def _tally(on: date) -> dict[str, dict[tuple[str, int], int]]:
    """People per 区, keyed (sex, band); band -1 holds everyone of that sex."""
    tally: dict[str, dict[tuple[str, int], int]] = defaultdict(lambda: defaultdict(int))
    for district, sex, birthdate, n in residents.population_counts():
        cells = tally[district]
        cells[("all", -1)] += n
        if sex in (MALE, FEMALE):
            cells[(sex, -1)] += n
            cells[(sex, _band(_age(birthdate, on)))] += n
    return tally


def _relations(bands: int) -> list[tuple[int, list[int]]]:
    """Which cell is the sum of which (indexes into the count cells of one row)."""
    male = [3 + 2 * b for b in range(bands)]
    female = [4 + 2 * b for b in range(bands)]
    return [(0, [1, 2]), (1, male), (2, female)]


def suppress(counts: list[int]) -> list[str]:
    """Cells under 10 become the mark; where a published total would give a hidden cell back
    by subtraction, the smallest other part of that sum is hidden too (until nothing changes).
    """
    hidden = {i for i, value in enumerate(counts) if value < SMALL}
    relations = _relations((len(counts) - 4) // 2)
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            shown = [p for p in parts if p not in hidden]
            if total not in hidden and len(parts) - len(shown) == 1 and shown:
                hidden.add(min(shown, key=lambda p: counts[p]))
                changed = True
    mark = tables.schema("population")["suppression_mark"]
    return [mark if i in hidden else str(v) for i, v in enumerate(counts)]


def population_rows() -> list[list[str]]:
    """One row per 区: totals, 5-year bands by sex, households; small cells suppressed."""
    city, today = residents.load_city(), timezone.localdate()
    tally, households = _tally(today), residents.household_counts()
    rows = []
    for district in city["districts"]:
        cells = tally.get(district["code"], {})
        counts = [cells.get(("all", -1), 0), cells.get((MALE, -1), 0), cells.get((FEMALE, -1), 0)]
        for band in range(len(BAND_STARTS)):
            counts += [cells.get((MALE, band), 0), cells.get((FEMALE, band), 0)]
        counts.append(households.get(district["code"], 0))
        published = suppress(counts)
        hidden = published != [str(c) for c in counts]
        note = tables.schema("population")["suppression_note"] if hidden else ""
        head = [city["code"], district["code"], _city_name(), today.isoformat(), district["name"]]
        rows.append(head + published + [note])
    return rows


# --- 06 オープンデータ一覧 -------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _list_row(dataset: Dataset, code: str, city: str) -> list[str]:
    formats = sorted({r.format for r in dataset.resources.all()})
    licence = reference.licences().get(dataset.licence)
    frequency = reference.frequencies().get(dataset.frequency)
    url = _absolute(reverse("opendata:dataset", args=[dataset.name]))
    return [
        code,
        dataset.name,
        city,
        dataset.title,
        " ".join(dataset.description.split()),
        ";".join(formats) or "-",
        ";".join(g.title for g in dataset.groups.all()),
        frequency.label_ja if frequency else "",
        url,
        tables.schema("opendata_list")["api_available"],
        licence.title if licence else dataset.licence,
        timezone.localdate(dataset.created).isoformat(),
        timezone.localdate(dataset.last_updated).isoformat(),
        "",
    ]


def opendata_list_rows() -> list[list[str]]:
    """The public catalogue itself, one row per dataset."""
    code, city = residents.load_city()["code"], _city_name()
    datasets = Dataset.objects.filter(public=True).prefetch_related("resources", "groups")
    return [_list_row(d, code, city) for d in datasets.order_by("name")]


# --- datasets from map layers (01, 03, 05, 08, 11, 12; 01 from bookings when it can) -------

LayerSource = Callable[[str], list[dict[str, Any]]]
STREET_NUMBER = re.compile(r"^(?P<town>\D*?)(?P<rest>[0-9０-９].*)?$")


def public_layer_features(code: str) -> list[dict[str, Any]]:
    """GeoJSON Features of the maps app's layer ``code``, which must be public."""
    if not maps.public_layers().filter(code=code).exists():
        raise CatalogueError(_("地図レイヤー「%(code)s」は公開されていません。") % {"code": code})
    return maps.layer_features(code)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _address_parts(full: str, city: dict[str, Any]) -> dict[str, str]:
    """町字 and 番地以下 split off an address in this city (``長野県駒ヶ根市赤須町20-1``)."""
    prefix = f"{city['prefecture']}{city['name']}"
    if not full.startswith(prefix):
        return {}
    match = STREET_NUMBER.match(full.removeprefix(prefix).strip())
    if not match:
        return {}
    return {"所在地_町字": match["town"].strip(), "所在地_番地以下": (match["rest"] or "").strip()}


def _with_aliases(values: dict[str, str]) -> dict[str, str]:
    """Standard columns filled from older attribute names (住所, 方書, NO …) when absent."""
    for column, names in reference.column_aliases().items():
        if not values.get(column):
            values[column] = next((values[n] for n in names if values.get(n)), "")
    return values


def _feature_values(feature: dict[str, Any], city: dict[str, Any]) -> dict[str, str]:
    """A feature's properties under the standard names, the city's and the point's filled in."""
    properties = feature["properties"]
    values = _with_aliases({name: _text(value) for name, value in properties.items()})
    values.update(
        {
            "全国地方公共団体コード": city["code"],
            "所在地_全国地方公共団体コード": city["code"],
            "市区町村コード": city["code"],
            "地方公共団体名": _city_name(),
            "所在地_都道府県": city["prefecture"],
            "所在地_市区町村": city["name"],
            "ID": values.get("ID") or f"{city['code']}-{feature['id']}",
            "名称": values.get("名称") or _text(properties.get("name")),
        }
    )
    for part, value in _address_parts(values["所在地_連結表記"], city).items():
        values[part] = values.get(part) or value
    geometry = feature.get("geometry") or {}
    if geometry.get("type") == "Point":
        values["経度"], values["緯度"] = (_text(c) for c in geometry["coordinates"][:2])
    return values


def layer_rows(
    schema: str, layer: str, source: LayerSource = public_layer_features
) -> list[list[str]]:
    """One row per feature of ``layer``, in the columns of ``schema`` (unknown ones empty)."""
    city, columns = residents.load_city(), tables.header(schema)
    rows = []
    for feature in source(layer):
        values = _feature_values(feature, city)
        rows.append([values.get(column, "") for column in columns])
    return rows


def _layer_version(layer: str) -> Callable[[], str]:
    """The maps app's one-query version of the layer, so an unchanged layer is never re-read."""

    def version() -> str:
        try:
            return maps.layer_version(layer)
        except Layer.DoesNotExist:
            raise CatalogueError(
                _("地図レイヤー「%(code)s」は公開されていません。") % {"code": layer}
            ) from None

    return version


def _from_layer(code: str, layer: str) -> Generator:
    return Generator(code, code, _layer_version(layer), lambda: layer_rows(code, layer))


def _booking_facility_features(_layer: str) -> list[dict[str, Any]]:
    """Bookings' facilities as point features, so they go through the same column mapping."""
    return [
        {
            "id": facility["code"],
            "properties": {
                "名称": facility["name"],
                "所在地_連結表記": facility["address"],
                "説明": "、".join(room for room in facility["rooms"] if room),
            },
            "geometry": {
                "type": "Point",
                "coordinates": [float(facility["longitude"]), float(facility["latitude"])],
            },
        }
        for facility in bookings.public_facilities()
    ]


def facilities_version() -> str:
    """Issue 6: dataset 01 comes from the booking facilities when any has a position, else
    from the facilities layer; the version follows whichever source is used."""
    found = bookings.public_facilities()
    if not found:
        return _layer_version("facilities")()
    return "bookings-" + hashlib.sha256(repr(found).encode()).hexdigest()[:16]


def facilities_rows() -> list[list[str]]:
    """One row per facility (not per room) from bookings, or the layer's features."""
    if bookings.public_facilities():
        return layer_rows("facilities", "facilities", _booking_facility_features)
    return layer_rows("facilities", "facilities")


GENERATORS = {
    g.code: g
    for g in (
        Generator("population", "population", residents.registry_version, population_rows),
        Generator("opendata_list", "opendata_list", queries.catalogue_version, opendata_list_rows),
        _from_layer("shelters", "shelters"),
        _from_layer("aeds", "aeds"),
        _from_layer("tourist_spots", "tourist-spots"),
        Generator("facilities", "facilities", facilities_version, facilities_rows),
        _from_layer("childcare", "childcare"),
        _from_layer("events", "events"),
    )
}


def generator(code: str) -> Generator:
    try:
        return GENERATORS[code]
    except KeyError:
        raise CatalogueError(_("生成元「%(code)s」はありません。") % {"code": code}) from None


def generate(code: str) -> bytes:
    return checked(generator(code))[0]


def checked(made: Generator) -> tuple[bytes, list[str]]:
    """The file of the rows that pass the schema, and why each other row was held back.

    Source data is typed by people (an event's date as 「来週」, a phone number in a count
    column); one bad feature must neither publish an invalid file nor hide the good rows, so
    it is left out and named for the department that owns it.
    """
    spec, kept, held = tables.schema(made.schema), [], []
    for row in made.rows():
        problems = tables.row_problems(spec, row)
        if problems:
            held.append(f"{_row_label(spec, row)}: {'; '.join(problems)}")
        else:
            kept.append(row)
    return tables.write_csv(tables.header(made.schema), kept), held


NAME_COLUMNS = ("名称", "イベント名", "データ名称", "地域名")


def _row_label(spec: dict, row: list[str]) -> str:
    """How staff find the row in its source: its ID and name, where the layout has them."""
    cells = dict(zip(tables.header_of(spec), row, strict=True))
    name = next((cells[c] for c in NAME_COLUMNS if cells.get(c)), "")
    return " ".join(part for part in (cells.get("ID", ""), name) if part) or "?"


def refresh(resource: Resource) -> bytes:
    """The resource's current content, regenerated only if its source version moved.

    A source that is no longer public (a layer made internal or deleted) leaves a file with
    the header only: nothing that was withdrawn stays published, and the download still works.
    """
    made = generator(resource.generator)
    try:
        version = made.version()
    except CatalogueError:
        version = UNAVAILABLE
    version = hashlib.sha256(version.encode()).hexdigest()  # sources' keys vary in length
    if resource.generated_version == version and resource.generated_content is not None:
        return bytes(resource.generated_content)
    try:
        data, held = checked(made)
    except CatalogueError:  # the layer went internal or away: publish the header, no rows
        data, held = tables.write_csv(tables.header(made.schema), []), []
    digest = hashlib.sha256(data).hexdigest()
    changes = {"generated_version": version, "generated_content": data, "held_back": held}
    if digest != resource.digest:
        now = timezone.now()
        changes.update(digest=digest, size=len(data), last_modified=now)
        Dataset.objects.filter(pk=resource.dataset_id).update(last_updated=now)
    Resource.objects.filter(pk=resource.pk).update(**changes)
    for name, value in changes.items():
        setattr(resource, name, value)
    return data
