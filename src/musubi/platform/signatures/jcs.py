"""RFC 8785 JSON Canonicalization Scheme: the exact bytes a resident signs.

The same submission must give the same bytes on every machine and in every language, or
a valid signature would fail to verify later. JCS fixes that: object members sorted by
their keys' UTF-16 code units, no whitespace, strings escaped as ECMAScript's
``JSON.stringify`` does, numbers written as ECMAScript writes an IEEE double. Values that
have no exact JSON double form (NaN, infinities, integers beyond 2**53, decimals that are
not a double's shortest form) are refused rather than silently changed.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_SAFE = 2**53
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


class CanonicalisationError(ValueError):
    """The value cannot be written canonically (its message says which part and why)."""


def canonicalize(value: Any) -> bytes:
    """The RFC 8785 bytes of ``value`` (dict, list, str, int, float, Decimal, bool, None)."""
    return _write(value, "$").encode("utf-8")


def _write(value: Any, where: str) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value, where)
    if isinstance(value, int):
        return _integer(value, where)
    if isinstance(value, float | Decimal):
        return _number(_as_double(value, where), where)
    if isinstance(value, dict):
        return _object(value, where)
    if isinstance(value, list | tuple):
        return "[" + ",".join(_write(item, f"{where}[{i}]") for i, item in enumerate(value)) + "]"
    raise CanonicalisationError(f"{where}: {type(value).__name__} has no JSON form")


def _object(value: dict, where: str) -> str:
    for key in value:
        if not isinstance(key, str):
            raise CanonicalisationError(f"{where}: object keys must be strings, not {key!r}")
        _string(key, where)
    keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
    members = (f"{_string(k, where)}:{_write(value[k], f'{where}.{k}')}" for k in keys)
    return "{" + ",".join(members) + "}"


def _string(value: str, where: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalisationError(f"{where}: string holds a lone surrogate") from None
    escaped = (_ESCAPES.get(ch) or (f"\\u{ord(ch):04x}" if ord(ch) < 0x20 else ch) for ch in value)
    return '"' + "".join(escaped) + '"'


def _integer(value: int, where: str) -> str:
    if abs(value) > MAX_SAFE:
        raise CanonicalisationError(f"{where}: {value} is beyond the exact range of a double")
    return str(value)


def _as_double(value: float | Decimal, where: str) -> float:
    try:
        number = float(value)
    except (OverflowError, InvalidOperation):
        number = math.nan
    if not math.isfinite(number):
        raise CanonicalisationError(f"{where}: {value} is not a finite number")
    if isinstance(value, Decimal) and Decimal(repr(number)) != value:
        raise CanonicalisationError(f"{where}: {value} cannot be written exactly as a double")
    return number


def _number(value: float, where: str) -> str:
    """ECMAScript Number::toString: shortest round-trip digits, placed by the exponent."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, point = _shortest_digits(abs(value))
    count = len(digits)
    if count <= point <= 21:
        return sign + digits + "0" * (point - count)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    exponent = point - 1
    mantissa = digits[0] + ("." + digits[1:] if count > 1 else "")
    return f"{sign}{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"


def _shortest_digits(value: float) -> tuple[str, int]:
    """Digits ``d`` and position ``n`` with value = 0.d × 10**n (Python's repr is shortest)."""
    _sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    exponent += len(digits) - len(text)
    text = text.lstrip("0")
    return text, len(text) + exponent
