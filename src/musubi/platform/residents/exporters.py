"""CSV export of the living residents in the import layout, so an export re-imports unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from django.db.models import Max

from musubi.platform.residents import layout
from musubi.platform.residents.models import (
    ContactKind,
    ContactPoint,
    EventKind,
    Relationship,
    ResidenceEvent,
    Resident,
    Status,
)

ENCODINGS = ("utf-8", "cp932")


class ExportError(ValueError):
    """A value cannot be written in the chosen encoding (e.g. a rare kanji in CP932)."""

    def __init__(self, number: str, encoding: str) -> None:
        super().__init__(
            f"宛名番号 {number} の記録に {encoding} で書けない文字があります。"
            "UTF-8 で出力してください。 / "
            f"Resident {number} contains characters that {encoding} cannot encode; export as UTF-8."
        )


def _contacts() -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    for resident_id, kind, value in ContactPoint.objects.order_by("id").values_list(
        "resident_id", "kind", "value"
    ):
        column = "メールアドレス" if kind == ContactKind.EMAIL else "電話番号"
        if kind != ContactKind.LINE:
            found.setdefault(resident_id, {}).setdefault(column, value)
    return found


def _resident_since() -> dict[int, str]:
    """The 住定日: the last 転入/転居 of each resident (none for those here since birth)."""
    moves = (
        ResidenceEvent.objects.filter(kind__in=(EventKind.MOVE_IN, EventKind.RELOCATE))
        .values("resident_id")
        .annotate(last=Max("effective_on"))
    )
    return {item["resident_id"]: item["last"].isoformat() for item in moves}


def rows() -> Iterator[list[str]]:
    """The header, then one list per living resident, households together, 世帯主 first."""
    yield list(layout.NAMES)
    contacts, since = _contacts(), _resident_since()
    residents = (
        Resident.objects.filter(status=Status.ACTIVE)
        .select_related("household__address", "household__district", "household__kumi")
        .order_by("household__number", "number")
    )
    for household, members in _grouped(residents.iterator(chunk_size=2000)):
        address = household.address
        for r in sorted(members, key=lambda m: m.relationship != Relationship.HEAD):
            extra = contacts.get(r.pk, {})
            yield [
                r.number,
                household.number,
                r.relationship,
                r.family_name,
                r.given_name,
                r.family_name_kana,
                r.given_name_kana,
                r.birthdate.isoformat(),
                r.sex,
                r.nationality,
                r.preferred_language,
                address.postal_code,
                address.town,
                address.banchi,
                address.building,
                household.district.name,
                str(household.kumi.number) if household.kumi else "",
                _coordinate(address.latitude),
                _coordinate(address.longitude),
                since.get(r.pk, ""),
                extra.get("メールアドレス", ""),
                extra.get("電話番号", ""),
            ]


def _grouped(residents: Iterator[Resident]) -> Iterator[tuple[object, list[Resident]]]:
    current, members = None, []
    for resident in residents:
        if current is not None and resident.household_id != current.pk:
            yield current, members
            members = []
        current = resident.household
        members.append(resident)
    if current is not None:
        yield current, members


def _coordinate(value: float | None) -> str:
    return "" if value is None else f"{value:.7f}"


def write_csv(stream: BinaryIO, encoding: str = "utf-8") -> int:
    """Write the export to ``stream``; UTF-8 gets a BOM so spreadsheet software reads it right."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}")
    if encoding == "utf-8":
        stream.write(b"\xef\xbb\xbf")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    count = -1
    for row in rows():
        writer.writerow(row)
        try:
            stream.write(buffer.getvalue().encode(encoding))
        except UnicodeEncodeError:
            raise ExportError(row[0], encoding) from None
        buffer.seek(0)
        buffer.truncate()
        count += 1
    return count
