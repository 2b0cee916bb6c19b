"""CSV as published: UTF-8 (with BOM), CRLF, one header row; reading, checking and previewing.

Uploaded CSV must decode as UTF-8 and every row must have as many cells as the header, so a
broken file is refused with its line number instead of being published. The schema files of
the 自治体標準オープンデータセット (data/schemas/*.json) are checked here too.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _

from musubi.data.opendata.errors import CatalogueError

SCHEMAS = Path(__file__).resolve().parent / "data" / "schemas"
BOM = "\ufeff"
CODE = re.compile(r"^\d{6}$")
COUNT = re.compile(r"^\d+$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def write_csv(header: list[str], rows: list[list[str]]) -> bytes:
    """UTF-8 with BOM and CRLF line ends, as Japanese spreadsheet software expects."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (BOM + buffer.getvalue()).encode("utf-8")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CatalogueError(
            _("CSVの%(line)d行目がUTF-8ではありません（Shift_JISなどで保存されていませんか）。")
            % {"line": line}
        ) from None


def read_csv(data: bytes) -> list[list[str]]:
    """All rows (header first); refuses non-UTF-8 text and rows whose width differs."""
    rows = list(csv.reader(io.StringIO(_decode(data), newline="")))
    if not rows or not any(rows[0]):
        raise CatalogueError(_("CSVに見出し行がありません。"))
    width = len(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise CatalogueError(
                _("CSVの%(line)d行目の列数が%(found)d個です（見出しは%(width)d列）。")
                % {"line": number, "found": len(row), "width": width}
            )
    return rows


@dataclass
class Preview:
    header: list[str]
    rows: list[list[str]]


def preview(data: bytes, limit: int = 10) -> Preview:
    """The header and the first ``limit`` rows, without reading the rest of a large file."""
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    rows = list(itertools.islice(reader, limit + 1))
    if not rows:
        raise CatalogueError(_("CSVに見出し行がありません。"))
    return Preview(header=rows[0], rows=rows[1:])


# --- standard dataset schemas ---------------------------------------------------------------


@lru_cache(maxsize=16)
def schema(code: str) -> dict:
    """A schema file: ``{verified, title, columns: [{name, type, required}], …}``."""
    return json.loads((SCHEMAS / f"{code}.json").read_text(encoding="utf-8"))


def header(code: str) -> list[str]:
    return header_of(schema(code))


def header_of(spec: dict) -> list[str]:
    return [column["name"] for column in spec["columns"]]


def _cell_problem(value: str, column: dict, mark: str | None) -> str | None:
    kind = column["type"]
    if not value:
        return _("必須項目が空です") if column["required"] else None
    if kind == "count" and not (COUNT.match(value) or value == mark):
        return _("0以上の整数ではありません")
    if kind == "number" and not NUMBER.match(value):
        return _("数値ではありません")
    if kind == "code" and not CODE.match(value):
        return _("6桁の全国地方公共団体コードではありません")
    if kind == "time" and not TIME.match(value):
        return _("HH:MM形式の時刻ではありません")
    if kind == "url" and not value.startswith(("https://", "http://")):
        return _("URLではありません")
    if kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return _("YYYY-MM-DD形式の日付ではありません")
    return None


def validate(code: str, data: bytes) -> list[str]:
    """Every way ``data`` departs from the schema ``code`` (empty when it conforms)."""
    if not data.startswith(BOM.encode("utf-8")):
        return [_("BOM付きUTF-8ではありません。")]
    rows = read_csv(data)
    spec = schema(code)
    if rows[0] != header(code):
        return [_("見出し行が標準の列と一致しません。")]
    problems = []
    for number, row in enumerate(rows[1:], start=2):
        problems += [f"{number}: {problem}" for problem in row_problems(spec, row)]
    return problems


def row_problems(spec: dict, row: list[str]) -> list[str]:
    """``column: problem`` for each cell of one data row that the schema ``spec`` refuses."""
    mark = spec.get("suppression_mark")
    found = []
    for value, column in zip(row, spec["columns"], strict=True):
        problem = _cell_problem(value, column, mark)
        if problem:
            found.append(f"{column['name']}: {problem}")
    return found
