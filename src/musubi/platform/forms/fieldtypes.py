"""The widgets a definition may name, each with how it reads, normalises and shows its value.

A field type turns the raw POSTed text into the stored (normalised, JSON-ready) value and
back: ``clean(raw) → value`` raises ``FieldError``; ``to_raw(value)`` refills the inputs;
``display(value)`` is the review page's text. Stored values always clean to themselves, so a
saved draft can be re-validated as if it had just been typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from musubi.platform.forms import bank, japanese
from musubi.platform.forms.definition import Field, localize
from musubi.platform.forms.japanese import FieldError
from musubi.platform.ui.wareki import to_wareki, to_wareki_en

FileCheck = Callable[[Any, str], bool]
FileStore = Callable[[Any, Any], str]
FileChoices = Callable[[Any], list[tuple[str, str]]]
FileLabel = Callable[[str], str]
_FILE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _any_well_formed_id(user: Any, file_id: str) -> bool:
    """Until the files app plugs in its own check: an opaque, well-formed identifier."""
    return True


_file_check: list[FileCheck] = [_any_well_formed_id]


def set_file_check(check: FileCheck) -> None:
    """Let the files app decide whether ``user`` may attach the file ``file_id``."""
    _file_check[0] = check


def _no_file_store(user: Any, uploaded: Any) -> str:
    """Until the files app plugs in its store, an upload cannot be kept: say so, keep the rest."""
    raise FieldError(_("ファイルを受け付けられませんでした。時間をおいてもう一度お試しください。"))


_file_store: list[FileStore] = [_no_file_store]
_file_choices: list[FileChoices] = [lambda user: []]


def set_file_store(store: FileStore) -> None:
    """Let the files app keep an upload of ``user`` and return its id.

    ``store(user, uploaded_file) -> file_id``; it refuses a file by raising a ``ValidationError``
    or an error with a ``message`` (the files app's ``FileRejected``), shown on the field.
    """
    _file_store[0] = store


def set_file_choices(choices: FileChoices) -> None:
    """Let the files app list ``user``'s earlier files as (file_id, label), newest first."""
    _file_choices[0] = choices


_file_label: list[FileLabel] = [str]


def set_file_label(label: FileLabel) -> None:
    """Let the files app name a file by its id (its original name) wherever answers are shown."""
    _file_label[0] = label


def store_file(user: Any, uploaded: Any) -> str:
    """Keep ``uploaded`` through the plugged store; ``FieldError`` with its reason if refused."""
    try:
        return str(_file_store[0](user, uploaded))
    except ValidationError as exc:
        raise FieldError(exc.messages[0]) from exc
    except ValueError as exc:
        raise FieldError(str(getattr(exc, "message", "") or exc)) from exc


def file_choices(user: Any) -> list[tuple[str, str]]:
    """``user``'s earlier files as (file_id, label), for the "choose an earlier file" list."""
    return [(str(file_id), str(label)) for file_id, label in _file_choices[0](user)]


@dataclass(frozen=True)
class FieldType:
    widget: str
    template: str
    schema_types: frozenset[str]
    parts: tuple[str, ...] = ()
    multiple: bool = False

    def clean(self, raw: Any, field: Field, user: Any) -> Any:
        return _CLEANERS[self.widget](raw, field, user)

    def to_raw(self, value: Any) -> Any:
        if self.parts:
            return {part: str(value.get(part, "")) for part in self.parts} if value else {}
        if self.multiple:
            return list(value or [])
        if isinstance(value, bool):
            return "on" if value else ""
        return "" if value is None else str(value)

    def display(self, value: Any, field: Field) -> str:
        return _DISPLAY.get(self.widget, _plain)(value, field)

    def is_empty(self, raw: Any) -> bool:
        if self.parts:
            return not any(str(v).strip() for v in (raw or {}).values())
        if self.multiple:
            return not raw
        return not str(raw or "").strip()


def choices(field: Field) -> list[tuple[str, str]]:
    """(value, label) pairs: the UI's labelled choices, else the schema's enum as is."""
    listed = field.options.get("choices")
    if listed:
        return [(str(c["value"]), localize(c["label"])) for c in listed]
    enum = field.schema.get("enum") or field.schema.get("items", {}).get("enum", ())
    return [(str(v), str(v)) for v in enum]


def _choice(raw: str, field: Field, user: Any) -> str:
    if raw not in dict(choices(field)):
        raise FieldError(_("選択肢から選んでください。"))
    return raw


def _multichoice(raw: list[str], field: Field, user: Any) -> list[str]:
    allowed = [value for value, _label in choices(field)]
    if any(value not in allowed for value in raw):
        raise FieldError(_("選択肢から選んでください。"))
    return [value for value in allowed if value in raw]


def _number(raw: str, field: Field, user: Any) -> int | float:
    text = japanese.fold(raw).replace(",", "")
    try:
        number = float(text)
    except ValueError:
        raise FieldError(_("数字で入力してください。")) from None
    if field.schema.get("type") == "integer":
        if not number.is_integer():
            raise FieldError(_("整数で入力してください。"))
        return int(number)
    return number


def _name(raw: dict[str, str], field: Field, user: Any) -> dict[str, str]:
    clean = japanese.clean_kana if field.widget == "kana_name" else japanese.clean_name_part
    parts = {part: clean(raw.get(part, "")) if raw.get(part, "").strip() else "" for part in raw}
    if not (parts.get("family") and parts.get("given")):
        raise FieldError(_("氏と名をそれぞれ入力してください。"))
    return {"family": parts["family"], "given": parts["given"]}


def _file(raw: str, field: Field, user: Any) -> str:
    file_id = raw.strip()
    if not _FILE_ID.match(file_id) or not _file_check[0](user, file_id):
        raise FieldError(_("ファイルが見つかりません。もう一度アップロードしてください。"))
    return file_id


_CLEANERS: dict[str, Callable[[Any, Field, Any], Any]] = {
    "text": lambda raw, field, user: raw.strip(),
    "textarea": lambda raw, field, user: raw.strip().replace("\r\n", "\n"),
    "number": _number,
    "choice": _choice,
    "select": _choice,
    "multichoice": _multichoice,
    "checkbox": lambda raw, field, user: True,
    "name": _name,
    "kana_name": _name,
    "kana": lambda raw, field, user: japanese.clean_kana(raw),
    "date": lambda raw, field, user: japanese.clean_date(
        raw, label=localize(field.label), past_only=bool(field.options.get("past_only"))
    ),
    "postal_code": lambda raw, field, user: japanese.clean_postal_code(raw),
    "phone": lambda raw, field, user: japanese.clean_phone(raw),
    "bank_account": lambda raw, field, user: bank.clean_account(raw).as_dict(),
    "file": _file,
}


def _plain(value: Any, field: Field) -> str:
    return "" if value is None else str(value)


def _display_date(value: str, field: Field) -> str:
    day = dt.date.fromisoformat(value)
    english = (get_language() or "ja").startswith("en")
    return to_wareki_en(day) if english else to_wareki(day)


def _display_choice(value: Any, field: Field) -> str:
    labels = dict(choices(field))
    if isinstance(value, list):
        return "、".join(labels.get(v, v) for v in value)
    return labels.get(str(value), str(value))


def _display_account(value: dict[str, str], field: Field) -> str:
    kind = bank.ACCOUNT_TYPES.get(value.get("account_type", ""), "")
    return (
        f"{value.get('bank_name', '')}（{value['bank_code']}） "
        f"{value.get('branch_name', '')}（{value['branch_code']}） "
        f"{kind} {value['number']} {value['holder']}"
    )


_DISPLAY: dict[str, Callable[[Any, Field], str]] = {
    "date": _display_date,
    "choice": _display_choice,
    "select": _display_choice,
    "multichoice": _display_choice,
    "checkbox": lambda value, field: _("はい") if value else _("いいえ"),
    "name": lambda value, field: f"{value['family']} {value['given']}",
    "kana_name": lambda value, field: f"{value['family']} {value['given']}",
    "bank_account": _display_account,
    "file": lambda value, field: _file_label[0](str(value)),
}

_STRING = frozenset({"string"})
_NAME_PARTS = ("family", "given")
_ACCOUNT_PARTS = ("bank_code", "branch_code", "account_type", "number", "holder")

FIELD_TYPES: dict[str, FieldType] = {
    kind.widget: kind
    for kind in (
        FieldType("text", "forms/widgets/input.html", _STRING),
        FieldType("textarea", "forms/widgets/textarea.html", _STRING),
        FieldType("number", "forms/widgets/input.html", frozenset({"number", "integer"})),
        FieldType("choice", "forms/widgets/choice.html", _STRING),
        FieldType("select", "forms/widgets/select.html", _STRING),
        FieldType("multichoice", "forms/widgets/multichoice.html", frozenset({"array"}), (), True),
        FieldType("checkbox", "forms/widgets/checkbox.html", frozenset({"boolean"})),
        FieldType("name", "forms/widgets/name.html", frozenset({"object"}), _NAME_PARTS),
        FieldType("kana_name", "forms/widgets/name.html", frozenset({"object"}), _NAME_PARTS),
        FieldType("kana", "forms/widgets/input.html", _STRING),
        FieldType("date", "forms/widgets/input.html", _STRING),
        FieldType("postal_code", "forms/widgets/postal_code.html", _STRING),
        FieldType("phone", "forms/widgets/input.html", _STRING),
        FieldType(
            "bank_account", "forms/widgets/bank_account.html", frozenset({"object"}), _ACCOUNT_PARTS
        ),
        FieldType("file", "forms/widgets/file.html", _STRING),
        FieldType("group", "forms/widgets/group.html", frozenset({"array"})),
    )
}
