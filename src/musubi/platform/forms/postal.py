"""郵便番号 → address, behind a small provider interface.

The shipped ``data/postal_codes.json`` is SYNTHETIC (derived from the demo city's invented
町字 and codes): enough for the demo and tests. An instance plugs in a full dataset (e.g.
Japan Post's KEN_ALL converted to rows) with ``use_provider(MyProvider())``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

DATA_FILE = Path(__file__).resolve().parent / "data" / "postal_codes.json"


@dataclass(frozen=True)
class PostalAddress:
    postal_code: str
    prefecture: str
    city: str
    town: str

    @property
    def text(self) -> str:
        return f"{self.prefecture}{self.city}{self.town}"


class PostalCodeProvider(Protocol):
    def lookup(self, postal_code: str) -> list[PostalAddress]:
        """Every address with ``postal_code`` (NNN-NNNN); empty when the code is unknown."""


class JsonFileProvider:
    """Codes from a JSON file ``{"prefecture", "city", "codes": {"NNN-NNNN": [町字…]}}``."""

    def __init__(self, path: Path = DATA_FILE) -> None:
        self.path = path

    @cache  # noqa: B019 — one provider per process; the file never changes while running
    def _table(self) -> dict:
        return json.loads(self.path.read_text(encoding="utf-8"))

    def lookup(self, postal_code: str) -> list[PostalAddress]:
        table = self._table()
        towns = table["codes"].get(postal_code, [])
        return [PostalAddress(postal_code, table["prefecture"], table["city"], t) for t in towns]


_provider: list[PostalCodeProvider] = [JsonFileProvider()]


def use_provider(provider: PostalCodeProvider) -> None:
    """Plug in another postal dataset for the whole process."""
    _provider[0] = provider


def lookup(postal_code: str) -> list[PostalAddress]:
    return _provider[0].lookup(postal_code)
