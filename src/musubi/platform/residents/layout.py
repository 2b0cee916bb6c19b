"""The registry CSV layout (docs/registry-csv.md): one row per resident, in this column order.

Import and export share these definitions so the two never drift apart.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from musubi.platform.residents.models import Relationship


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    label_en: str


COLUMNS: tuple[Column, ...] = (
    Column("宛名番号", True, "resident number"),
    Column("世帯番号", True, "household number"),
    Column("続柄", True, "relationship to the head"),
    Column("氏", True, "family name"),
    Column("名", True, "given name"),
    Column("氏フリガナ", True, "family name (katakana)"),
    Column("名フリガナ", True, "given name (katakana)"),
    Column("生年月日", True, "date of birth"),
    Column("性別", True, "sex code"),
    Column("国籍", True, "nationality"),
    Column("言語", False, "preferred language"),
    Column("郵便番号", True, "postal code"),
    Column("町字", True, "town (machi/aza)"),
    Column("番地", True, "block and lot number"),
    Column("建物名等", False, "building"),
    Column("区", True, "district (ku)"),
    Column("組", False, "kumi number"),
    Column("緯度", False, "latitude"),
    Column("経度", False, "longitude"),
    Column("住定日", False, "date of taking up residence"),
    Column("メールアドレス", False, "email"),
    Column("電話番号", False, "phone"),
)
NAMES = tuple(column.name for column in COLUMNS)
REQUIRED = tuple(column.name for column in COLUMNS if column.required)
ADDRESS_COLUMNS = ("郵便番号", "町字", "番地", "建物名等", "区", "組")

#: 続柄 values that mark the 世帯主 (本人 is what many core systems write).
HEAD_WORDS = frozenset({Relationship.HEAD.value, "本人"})
#: 続柄 that must be younger / older than the 世帯主.
YOUNGER_THAN_HEAD = frozenset({"子", "孫", "子の妻", "子の夫"})
OLDER_THAN_HEAD = frozenset({"父", "母", "祖父母"})


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    start: dt.date
    end: dt.date | None


ERAS: tuple[Era, ...] = (
    Era("明治", "M", dt.date(1868, 10, 23), dt.date(1912, 7, 29)),
    Era("大正", "T", dt.date(1912, 7, 30), dt.date(1926, 12, 24)),
    Era("昭和", "S", dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
    Era("平成", "H", dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    Era("令和", "R", dt.date(2019, 5, 1), None),
)
_ERA_BY_KEY = {key: era for era in ERAS for key in (era.name, era.letter)}

ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
KANJI_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
ERA_DATE = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHR])\s*(元|\d{1,2})[年.](\d{1,2})[月.](\d{1,2})日?$"
)


class DateProblem(ValueError):
    """``code`` is one of bad_date, impossible_date, bad_era."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_date(text: str) -> dt.date:
    """Read YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日 or a 和暦 date (令和3年4月1日, R3.4.1)."""
    match = ISO_DATE.match(text) or KANJI_DATE.match(text)
    if match:
        return _make_date(int(match[1]), int(match[2]), int(match[3]))
    match = ERA_DATE.match(text)
    if not match:
        raise DateProblem("bad_date")
    era = _ERA_BY_KEY[match[1]]
    year_in_era = 1 if match[2] == "元" else int(match[2])
    day = _make_date(era.start.year + year_in_era - 1, int(match[3]), int(match[4]))
    if year_in_era < 1 or day < era.start or (era.end is not None and day > era.end):
        raise DateProblem("bad_era")
    return day


def _make_date(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateProblem("impossible_date") from None
