"""Normalising Japanese text so that the same name or address written differently compares equal.

Staff type 「やまだ」, 「ﾔﾏﾀﾞ」 or 「ヤマダ」; residents write 「赤穂１２３番地４」 or 「赤穂123-4」.
Search keys and matching use these forms, never the text as displayed.
"""

from __future__ import annotations

import re
import unicodedata

_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(ord("ぁ"), ord("ゖ") + 1)}
_SPACES = re.compile(r"[\s\u3000]+")
_KATAKANA = re.compile(r"^[\u30a1-\u30fa\u30fc\u30fd\u30fe・ ]+$")
_HYPHENS = "‐‑‒–—―−－﹣"
_LONG_VOWEL_AFTER_DIGIT = re.compile(r"(?<=\d)[ーｰ]")
_ADDRESS_UNITS = re.compile(r"(丁目|番地の?|番|号|の(?=\d))")
_REPEATED_HYPHENS = re.compile(r"-{2,}")


def to_katakana(text: str) -> str:
    return text.translate(_HIRAGANA_TO_KATAKANA)


def search_form(text: str) -> str:
    """Width-folded (NFKC), katakana, lower-case, without spaces: the form search keys use."""
    folded = unicodedata.normalize("NFKC", text or "")
    return _SPACES.sub("", to_katakana(folded)).lower()


def name_key(family: str, given: str) -> str:
    return search_form(family + given)


def is_katakana(text: str) -> bool:
    """True for full-width katakana (with ー, ・ and spaces), as a フリガナ must be written."""
    return bool(_KATAKANA.match(text))


def address_form(text: str) -> str:
    """An address with digits half-width and 丁目/番地/号 and hyphen variants unified to "-"."""
    folded = unicodedata.normalize("NFKC", text or "")
    for hyphen in _HYPHENS:
        folded = folded.replace(hyphen, "-")
    folded = _LONG_VOWEL_AFTER_DIGIT.sub("-", folded)
    folded = _ADDRESS_UNITS.sub("-", _SPACES.sub("", folded))
    return _REPEATED_HYPHENS.sub("-", folded).strip("-").lower()
