"""Reference data shipped with the app: licences, update frequencies, formats (data/*.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import get_language

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Licence:
    id: str
    ckan_id: str
    title: str
    title_en: str
    url: str

    @property
    def label(self) -> str:
        return self.title_en if get_language() == "en" else self.title


@dataclass(frozen=True)
class Frequency:
    code: str
    label_ja: str
    label_en: str
    days: int | None
    uri: str

    @property
    def label(self) -> str:
        return self.label_en if get_language() == "en" else self.label_ja


@dataclass(frozen=True)
class Format:
    format: str
    media_type: str
    extensions: tuple[str, ...]


def _read(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def licences() -> dict[str, Licence]:
    return {row["id"]: Licence(**row) for row in _read("licences.json")["licences"]}


@lru_cache(maxsize=1)
def default_licence() -> str:
    return _read("licences.json")["default"]


@lru_cache(maxsize=1)
def frequencies() -> dict[str, Frequency]:
    return {
        row["code"]: Frequency(row["code"], row["label"], row["label_en"], row["days"], row["uri"])
        for row in _read("frequencies.json")["frequencies"]
    }


@lru_cache(maxsize=1)
def formats() -> dict[str, Format]:
    return {
        row["format"]: Format(row["format"], row["media_type"], tuple(row["extensions"]))
        for row in _read("formats.json")["formats"]
    }


def format_for_extension(extension: str) -> Format | None:
    """The format a file name's extension (without the dot, any case) stands for."""
    wanted = extension.lower()
    return next((f for f in formats().values() if wanted in f.extensions), None)


@lru_cache(maxsize=1)
def column_aliases() -> dict[str, list[str]]:
    """Older attribute names a standard column's value may be stored under (data/aliases.json)."""
    return _read("aliases.json")["aliases"]
