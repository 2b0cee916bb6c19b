"""全銀 bank accounts: codes checked against the zengin-code dataset, holder names in 半角カナ.

Payments to residents (児童手当, 高額介護サービス費…) are made by 全銀 transfer, whose file
format accepts only the 全銀 character set for the holder name; a name the bank would reject
is better caught while the resident is still at the form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from zengin_code import Bank

from musubi.platform.forms.japanese import FieldError, fold

ACCOUNT_TYPES = {
    "1": gettext_lazy("普通"),
    "2": gettext_lazy("当座"),
    "4": gettext_lazy("貯蓄"),
}
HOLDER_MAX = 30
_SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_ZENGIN_ASCII = re.compile(r"^[0-9A-Z ().,\-/]*$")


@dataclass(frozen=True)
class BankAccount:
    bank_code: str
    branch_code: str
    account_type: str
    number: str
    holder: str
    bank_name: str = ""
    branch_name: str = ""

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


@cache
def _half_width_of() -> dict[str, str]:
    """Full-width katakana (and marks) → their half-width forms, derived from Unicode itself."""
    table = {}
    for code in range(0xFF61, 0xFFA0):
        half = chr(code)
        table.setdefault(unicodedata.normalize("NFKC", half), half)
    table["\u3099"] = "ﾞ"
    table["\u309a"] = "ﾟ"
    return table


def to_zengin_kana(text: str) -> str:
    """Holder name in the 全銀 character set: 半角カナ (no small kana), A–Z, 0–9, space, ().-/,"""
    folded = fold(text).upper()
    folded = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in folded)
    folded = folded.translate(_SMALL_TO_LARGE).replace("ー", "-").replace("・", ".")
    folded = re.sub(r"[\s\u3000]+", " ", folded)
    table = _half_width_of()
    out = []
    for char in unicodedata.normalize("NFD", folded):
        half = table.get(char, char)
        if half == char and not _ZENGIN_ASCII.match(char):
            raise FieldError(
                _(
                    "口座名義はカタカナで入力してください（英字・数字・スペース・（）．－／も"
                    "使えます）。"
                )
            )
        out.append(half)
    return "".join(out)


def bank_name(code: str) -> str | None:
    bank = Bank.all.get(code)
    return bank.name if bank else None


def _digits(text: Any, width: int, message: str, *, pad: bool = False) -> str:
    value = fold(str(text or "")).replace(" ", "")
    if pad and value.isdigit() and len(value) <= width:
        value = value.zfill(width)
    if not (value.isdigit() and value.isascii() and len(value) == width):
        raise FieldError(message)
    return value


def _bank_and_branch(bank_code: str, branch_code: str) -> tuple[str, str]:
    bank = Bank.all.get(bank_code)
    if bank is None:
        raise FieldError(
            _("金融機関コード %(code)s の金融機関はありません。") % {"code": bank_code}
        )
    branch = bank.branches.get(branch_code)
    if branch is None:
        raise FieldError(
            _("%(bank)sに支店コード %(code)s の支店はありません。")
            % {"bank": bank.name, "code": branch_code}
        )
    return bank.name, branch.name


def clean_account(parts: dict[str, Any]) -> BankAccount:
    """Check every part of a 全銀 account; the first problem found is reported."""
    bank_code = _digits(
        parts.get("bank_code"), 4, _("金融機関コードは4桁の数字で入力してください。")
    )
    branch_code = _digits(
        parts.get("branch_code"), 3, _("支店コードは3桁の数字で入力してください。")
    )
    bank, branch = _bank_and_branch(bank_code, branch_code)
    account_type = str(parts.get("account_type") or "")
    if account_type not in ACCOUNT_TYPES:
        raise FieldError(_("預金種目を選択してください。"))
    number = _digits(
        parts.get("number"), 7, _("口座番号は7桁以内の数字で入力してください。"), pad=True
    )
    holder = to_zengin_kana(str(parts.get("holder") or "")).strip()
    if not holder:
        raise FieldError(_("口座名義を入力してください。"))
    if len(holder) > HOLDER_MAX:
        raise FieldError(
            _("口座名義は半角%(limit)s文字以内にしてください（濁点・半濁点も1文字と数えます）。")
            % {"limit": HOLDER_MAX}
        )
    return BankAccount(bank_code, branch_code, account_type, number, holder, bank, branch)
