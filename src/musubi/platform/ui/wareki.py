"""Japanese era dates (和暦) for residents who read dates as 令和8年, not 2026.

The era table lives in ``data/eras.json`` so that the next 改元 is a data change: add
one line with the new era's first day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

ERAS_FILE = Path(__file__).resolve().parent / "data" / "eras.json"
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Era:
    name: str
    romaji: str
    start: date


@cache
def eras() -> tuple[Era, ...]:
    """The eras, oldest first, read once from the data file."""
    raw = json.loads(ERAS_FILE.read_text(encoding="utf-8"))["eras"]
    table = [Era(e["name"], e["romaji"], date.fromisoformat(e["start"])) for e in raw]
    return tuple(sorted(table, key=lambda era: era.start))


def era_of(day: date) -> tuple[Era, int]:
    """The era ``day`` falls in and its year within the era (1 = 元年)."""
    for era in reversed(eras()):
        if day >= era.start:
            return era, day.year - era.start.year + 1
    raise ValueError(f"{day.isoformat()} is before the first known era ({eras()[0].name})")


def to_wareki(day: date) -> str:
    """``day`` as written on Japanese forms: 令和元年5月1日, 平成31年4月30日."""
    era, year = era_of(day)
    shown = "元" if year == 1 else str(year)
    return f"{era.name}{shown}年{day.month}月{day.day}日"


def to_wareki_en(day: date) -> str:
    """``day`` for English readers with the era in brackets: 27 Nov 2026 (Reiwa 8)."""
    era, year = era_of(day)
    return f"{to_date_en(day)} ({era.romaji} {year})"


def to_date_ja(day: date) -> str:
    """``day`` in the Western calendar, Japanese style: 2026年11月27日."""
    return f"{day.year}年{day.month}月{day.day}日"


def to_date_en(day: date) -> str:
    """``day`` in an unambiguous English form: 27 Nov 2026."""
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
