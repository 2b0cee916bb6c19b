"""Japanese values as residents type them, normalised to one form or refused with a clear reason.

Each ``clean_*`` function takes what was typed and returns the normalised value, or raises
``FieldError`` whose message (in the active language) says exactly what is wrong. They know
nothing of forms, so the procedures app and the API can reuse them on their own.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from musubi.platform.ui.wareki import eras


class FieldError(ValidationError):
    """What the resident typed cannot be accepted; the message says why."""


_SPACES = re.compile(r"[\s\u3000]+")
_HYPHENS = "‐‑‒–—―−－﹣ー"


def fold(text: str) -> str:
    """NFKC (full-width digits/letters to half-width, half-width kana to full-width), trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _unhyphen(text: str) -> str:
    for hyphen in _HYPHENS:
        text = text.replace(hyphen, "-")
    return text


# --- フリガナ and 氏名 -----------------------------------------------------------------------

_KATAKANA = re.compile(r"^[\u30a1-\u30fa\u30fc\u30fd\u30fe・ ]+$")
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(ord("ぁ"), ord("ゖ") + 1)}
_NOT_IN_NAMES = re.compile(r"[0-9!-/:-@\[-`{-~、。「」『』【】＃＄％＆＊＠]")


def clean_kana(text: str) -> str:
    """フリガナ: full-width katakana; hiragana and half-width kana converted, the rest refused."""
    folded = _SPACES.sub(" ", fold(text)).translate(_HIRAGANA_TO_KATAKANA)
    if not _KATAKANA.match(folded):
        raise FieldError(_("フリガナは全角カタカナで入力してください。"))
    return folded


def clean_name_part(text: str) -> str:
    """One part of a 氏名 as registered: no digits or symbols; spaces inside are kept single."""
    cleaned = _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "").strip())
    if _NOT_IN_NAMES.search(cleaned):
        raise FieldError(_("氏名に数字や記号は使えません。"))
    return cleaned


# --- dates in 西暦 or 和暦 -----------------------------------------------------------------

_SEIREKI = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?$")
_WAREKI = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHR])\s*\.?\s*(元|\d{1,2})\s*(?:[-/.]|年)\s*"
    r"(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?$"
)
_ERA_LETTER = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}


@dataclass(frozen=True)
class EraSpan:
    name: str
    start: dt.date
    end: dt.date | None  # last day; None for the current era


@cache
def era_spans() -> dict[str, EraSpan]:
    """Each era's first and last day, from the UI's era table (one data file for every 改元)."""
    table = eras()
    spans = {}
    for index, era in enumerate(table):
        following = table[index + 1].start if index + 1 < len(table) else None
        end = following - dt.timedelta(days=1) if following else None
        spans[era.name] = EraSpan(era.name, era.start, end)
    return spans


def _date_format_error() -> FieldError:
    return FieldError(
        _("日付は 2026-11-27、2026/11/27、令和8年11月27日 または R8.11.27 の形で入力してください。")
    )


def _real_date(year: int, month: int, day: int, typed: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise FieldError(_("%(value)s は存在しない日付です。") % {"value": typed}) from None


def _era_date(era_name: str, era_year: str, month: int, day: int, typed: str) -> dt.date:
    span = era_spans()[era_name]
    year = 1 if era_year == "元" else int(era_year)
    if year == 0:
        raise FieldError(
            _("%(era)s0年という年はありません。最初の年は「%(era)s元年」です。") % {"era": era_name}
        )
    day_value = _real_date(span.start.year + year - 1, month, day, typed)
    if day_value < span.start or (span.end and day_value > span.end):
        raise _out_of_era(span, typed)
    return day_value


def _out_of_era(span: EraSpan, typed: str) -> FieldError:
    values = {"value": typed, "era": span.name, "start": span.start.isoformat()}
    if span.end is None:
        return FieldError(_("%(value)s は%(era)sの期間外です（%(era)sは%(start)sから）。") % values)
    values["end"] = span.end.isoformat()
    return FieldError(
        _("%(value)s は%(era)sの期間外です（%(era)sは%(start)sから%(end)sまで）。") % values
    )


def parse_date(text: str) -> dt.date:
    """A date in 西暦 (2026-11-27, 2026/11/27) or 和暦 (令和8年11月27日, R8.11.27, 令和元年…)."""
    typed = fold(text)
    normalised = _unhyphen(typed).upper()
    if match := _SEIREKI.match(normalised):
        year, month, day = (int(part) for part in match.groups())
        return _real_date(year, month, day, typed)
    if match := _WAREKI.match(normalised):
        era, era_year, month, day = match.groups()
        return _era_date(_ERA_LETTER.get(era, era), era_year, int(month), int(day), typed)
    raise _date_format_error()


def clean_date(text: str, *, label: str = "", past_only: bool = False) -> str:
    """The date as ISO 8601 text; with ``past_only`` a date after today is refused."""
    day = parse_date(text)
    if past_only and day > timezone.localdate():
        raise FieldError(_("%(label)sに未来の日付は入力できません。") % {"label": label})
    return day.isoformat()


# --- postal code and phone -----------------------------------------------------------------

_POSTAL = re.compile(r"^〒?\s*(\d{3})-?(\d{4})$")


def clean_postal_code(text: str) -> str:
    """郵便番号 as NNN-NNNN (typed with or without the hyphen, in any width)."""
    match = _POSTAL.match(_unhyphen(fold(text)).replace(" ", ""))
    if not match:
        raise FieldError(_("郵便番号は 399-4231 のように7桁の数字で入力してください。"))
    return f"{match[1]}-{match[2]}"


_PHONE_CHARS = re.compile(r"^[\d\-()]+$")
_MOBILE = re.compile(r"^0[5789]0\d{8}$")
_FREE_DIAL = re.compile(r"^0(120|800)\d{6,7}$")
_FIXED = re.compile(r"^0[1-9]\d{8}$")


def clean_phone(text: str) -> str:
    """A Japanese phone number: fixed (10 digits with 市外局番), mobile/IP (11) or free dial.

    The resident's own hyphenation is kept (市外局番 lengths vary, so it cannot be
    reconstructed reliably); mobile numbers typed without hyphens get 3-4-4.
    """
    typed = _unhyphen(fold(text)).replace(" ", "")
    typed = typed.replace("(", "-").replace(")", "-").strip("-")
    digits = typed.replace("-", "")
    valid = _MOBILE.match(digits) or _FREE_DIAL.match(digits) or _FIXED.match(digits)
    if not (_PHONE_CHARS.match(typed) and valid) or "--" in typed:
        raise FieldError(
            _("電話番号は 0265-83-2111 や 090-1234-5678 のように、市外局番から入力してください。")
        )
    if "-" not in typed and _MOBILE.match(digits):
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return typed
