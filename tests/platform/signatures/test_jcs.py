"""RFC 8785 canonical JSON: the RFC's own examples, and refusal of what has no exact form."""

from __future__ import annotations

import struct
from decimal import Decimal

import pytest

from musubi.platform.signatures.jcs import CanonicalisationError, canonicalize


def double(hex_bits: str) -> float:
    return struct.unpack(">d", bytes.fromhex(hex_bits))[0]


def test_rfc8785_section_3_2_2_example():
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    assert (
        canonicalize(value)
        == (
            '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
            '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
        ).encode()
    )


def test_rfc8785_sorting_by_utf16_code_units():
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = [k for k in canonicalize(value).decode().split('"')[1::4]]
    assert keys == ["\\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(
    ("bits", "text"),
    [
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af6", "1e+23"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555554", "333333333.33333325"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ],
)
def test_rfc8785_appendix_b_numbers(bits, text):
    assert canonicalize(double(bits)) == text.encode()


def test_japanese_text_is_kept_as_utf8():
    assert canonicalize({"氏名": "駒ヶ根 花子"}) == '{"氏名":"駒ヶ根 花子"}'.encode()


def test_integers_and_exact_decimals():
    assert canonicalize([15000, -3, Decimal("4.5"), Decimal("0.1")]) == b"[15000,-3,4.5,0.1]"


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        2**53 + 1,
        Decimal("0.10000000000000000001"),
        Decimal("NaN"),
        {1: "x"},
        {"when": object()},
        "\ud800",
        {"\udc00": 1},
    ],
)
def test_values_without_exact_form_refused(value):
    with pytest.raises(CanonicalisationError):
        canonicalize(value)


def test_error_says_where():
    with pytest.raises(CanonicalisationError, match=r"\$\.children\[1\]"):
        canonicalize({"children": [1, float("nan")]})
