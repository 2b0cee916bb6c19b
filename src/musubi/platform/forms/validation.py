"""Validating one step's answers: clean each visible field, check it against its schema.

Input names follow one scheme so that pages, errors and the POST agree:
``f-<field>`` for a field, ``f-<field>-<part>`` for a part (氏/名, bank code…),
``f-<group>-<row>-<child>`` for a repeating group's row. Hidden fields (``visible_if``
false) are cleaned like the rest, then dropped with their errors: they are neither kept nor
validated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker

from musubi.platform.forms.definition import Field, localize
from musubi.platform.forms.fieldtypes import FIELD_TYPES
from musubi.platform.forms.japanese import FieldError
from musubi.platform.forms.prefill import Prefilled

MAX_ROWS = 50
EMPTY = object()
REF = "_ref"
Lookup = Callable[[str], Any]


def input_name(*parts: object) -> str:
    return "-".join(["f", *(str(p) for p in parts)])


@dataclass
class StepResult:
    """Cleaned values of the visible fields, and error messages keyed by input name."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)


def raw_from_post(item: Field, name: str, post: Mapping[str, Any]) -> Any:
    """What was posted for ``item`` (a dict for parts, a list for multiple or a group's rows)."""
    if item.widget == "group":
        return [
            _row_from_post(item, input_name(item.id, i), post) for i in range(_rows(name, post))
        ]
    kind = FIELD_TYPES[item.widget]
    if kind.parts:
        return {part: post.get(f"{name}-{part}", "") for part in kind.parts}
    if kind.multiple:
        return post.getlist(name)
    return post.get(name, "")


def _rows(name: str, post: Mapping[str, Any]) -> int:
    count = str(post.get(f"{name}-rows", "0"))
    return min(int(count), MAX_ROWS) if count.isdigit() else 0


def _row_from_post(group: Field, prefix: str, post: Mapping[str, Any]) -> dict[str, Any]:
    row = {child.id: raw_from_post(child, f"{prefix}-{child.id}", post) for child in group.fields}
    row[REF] = post.get(f"{prefix}-{REF}", "")
    return row


def raw_from_value(item: Field, value: Any) -> Any:
    """The inputs' contents for a stored value (the inverse of cleaning)."""
    if item.widget == "group":
        return [_row_raw(item, row) for row in value or []]
    return FIELD_TYPES[item.widget].to_raw(value)


def _row_raw(group: Field, row: Mapping[str, Any]) -> dict[str, Any]:
    raw = {child.id: raw_from_value(child, row.get(child.id)) for child in group.fields}
    raw[REF] = row.get(REF, "")
    return raw


def required_message(item: Field) -> str:
    label = localize(item.label)
    if item.widget in ("choice", "select", "multichoice"):
        return _("%(label)sを選択してください。") % {"label": label}
    if item.widget == "checkbox":
        return _("%(label)sにチェックを入れてください。") % {"label": label}
    if item.widget == "file":
        return _("%(label)sを添付してください。") % {"label": label}
    return _("%(label)sを入力してください。") % {"label": label}


def schema_message(error: Any, item: Field | None) -> str:
    """A jsonschema error in the resident's words (the keyword decides the sentence)."""
    limit = error.validator_value
    label = localize(item.label) if item else ""
    messages = {
        "maxLength": _("%(limit)s文字以内で入力してください。"),
        "minLength": _("%(limit)s文字以上で入力してください。"),
        "minimum": _("%(limit)s以上の数を入力してください。"),
        "maximum": _("%(limit)s以下の数を入力してください。"),
        "minItems": _("%(label)sを%(limit)s件以上入力してください。"),
        "maxItems": _("%(label)sは%(limit)s件までです。"),
        "enum": _("選択肢から選んでください。"),
        "required": _("%(label)sを入力してください。"),
    }
    template = messages.get(error.validator, _("入力内容が正しくありません。"))
    return template % {"limit": limit, "label": label}


def _schema_problem(item: Field, value: Any) -> str | None:
    schema = dict(item.schema)
    if item.widget == "group":  # rows were checked one by one; counts are checked here
        schema.pop("items", None)
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    error = next(iter(sorted(validator.iter_errors(value), key=lambda e: e.path)), None)
    return schema_message(error, item) if error else None


class StepValidator:
    """Cleans and checks the fields of one step (or one row) for ``user``."""

    def __init__(self, user: Any, prefilled: Mapping[str, Prefilled]) -> None:
        self.user = user
        self.prefilled = prefilled

    def field(self, item: Field, raw: Any, name: str) -> tuple[Any, str | None]:
        kind = FIELD_TYPES[item.widget]
        if kind.is_empty(raw):
            if item.required:
                return EMPTY, required_message(item)
            return (False if item.widget == "checkbox" else EMPTY), None
        try:
            value = kind.clean(raw, item, self.user)
        except FieldError as exc:
            return EMPTY, exc.messages[0]
        return value, _schema_problem(item, value)

    def fields(
        self,
        items: tuple[Field, ...],
        raws: Mapping[str, Any],
        names: Callable[[Field], str],
        outer: Lookup,
    ) -> StepResult:
        """Clean every field in ``items``, then drop those whose ``visible_if`` is false."""
        result = StepResult()
        for item in items:
            if item.widget == "group":
                value, errors = self.group(item, raws.get(item.id) or [], outer)
                result.errors.update(errors)
            else:
                value, error = self.field(item, raws.get(item.id, ""), names(item))
                if error:
                    result.errors[names(item)] = error
            if value is not EMPTY:
                result.values[item.id] = value

        def lookup(field_id: str) -> Any:
            return result.values[field_id] if field_id in result.values else outer(field_id)

        for item in items:
            if item.visible_if and not item.visible_if.holds(lookup(item.visible_if.field)):
                result.hidden.add(item.id)
                result.values.pop(item.id, None)
                result.errors = {
                    k: v for k, v in result.errors.items() if not _belongs(k, names(item))
                }
        return result

    def group(
        self, group: Field, rows: list[Mapping[str, Any]], outer: Lookup
    ) -> tuple[list, dict[str, str]]:
        locked = self._locked_rows(group)
        values, errors = [], {}
        for index, raw in enumerate(rows[:MAX_ROWS]):
            ref = str(raw.get(REF, ""))
            fixed = locked[int(ref)] if ref.isdigit() and int(ref) < len(locked) else {}
            fixed = {c.id: fixed[c.id] for c in group.fields if c.id in fixed}
            editable = tuple(c for c in group.fields if c.id not in fixed)
            row = self.fields(
                editable,
                raw,
                lambda c, i=index: input_name(group.id, i, c.id),
                lambda f, fixed=fixed: fixed[f] if f in fixed else outer(f),
            )
            # registry rows: what the registry says, whatever was posted for it
            values.append({**row.values, **fixed, REF: ref} if fixed else row.values)
            errors.update(row.errors)
        problem = _schema_problem(group, values)
        if group.required and not values:
            problem = required_message(group)
        if problem:
            errors[input_name(group.id)] = problem
        return values, errors

    def _locked_rows(self, group: Field) -> list[dict[str, Any]]:
        found = self.prefilled.get(group.id)
        return list(found.value) if found and found.read_only else []


def _belongs(error_name: str, name: str) -> bool:
    return error_name == name or error_name.startswith(name + "-")
