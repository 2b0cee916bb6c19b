"""Form definitions: a JSON Schema (draft 2020-12) for the data plus a UI schema for the pages.

A definition is a plain dict (so the procedures app can version it as JSON) of this shape::

    {"id": "...", "title": {"ja": "...", "en": "..."},
     "schema": {"type": "object", "properties": {...}, "required": [...]},
     "ui": {"steps": [{"id": "...", "title": {...}, "sections": [
         {"id": "...", "title": {...}, "help": {...}, "fields": [
             {"id": "birthdate", "widget": "date", "label": {...}, "help": {...},
              "visible_if": {"field": "x", "equals": "y"}, "prefill": "registry.birthdate",
              "options": {"past_only": true}},
             {"id": "children", "widget": "group", "label": {...}, "fields": [...]}]}]}]}}

``FormDefinition.from_dict`` refuses a definition that ``check_definition`` finds fault with,
so a form that reaches a resident has been checked once, completely.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

Text = Mapping[str, str]
OPERATORS = ("equals", "not_equals", "in")


class DefinitionError(ValueError):
    """The definition cannot be used; ``problems`` lists every authoring error found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid form definition:\n  " + "\n  ".join(problems))
        self.problems = problems


def localize(text: Text | str | None) -> str:
    """The text in the active language, falling back to Japanese (the source language)."""
    if not text:
        return ""
    if isinstance(text, str):
        return text
    language = (get_language() or "ja").split("-")[0]
    return text.get(language) or text.get("ja") or next(iter(text.values()), "")


@dataclass(frozen=True)
class Condition:
    """``visible_if``: show the field only when another field equals / differs from / is in."""

    field: str
    operator: str
    value: Any

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Condition:
        operator = next(op for op in OPERATORS if op in raw)
        return cls(raw["field"], operator, raw[operator])

    def holds(self, value: Any) -> bool:
        if self.operator == "equals":
            return value == self.value
        if self.operator == "not_equals":
            return value != self.value
        return value in self.value


@dataclass(frozen=True)
class Field:
    """One question: its widget, labels, schema and behaviour; a group holds its row's fields."""

    id: str
    widget: str
    label: Text
    schema: Mapping[str, Any]
    required: bool = False
    help: Text | None = None
    visible_if: Condition | None = None
    prefill: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    fields: tuple[Field, ...] = ()

    @property
    def prefill_provider(self) -> str | None:
        return self.prefill.split(".", 1)[0] if self.prefill else None

    @property
    def prefill_attribute(self) -> str | None:
        return self.prefill.split(".", 1)[1] if self.prefill else None

    @property
    def min_items(self) -> int:
        return int(self.schema.get("minItems", 0))

    @property
    def max_items(self) -> int | None:
        limit = self.schema.get("maxItems")
        return int(limit) if limit is not None else None

    def child(self, child_id: str) -> Field | None:
        return next((f for f in self.fields if f.id == child_id), None)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    fields: tuple[Field, ...]
    help: Text | None = None


@dataclass(frozen=True)
class Step:
    id: str
    title: Text
    sections: tuple[Section, ...]

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for section in self.sections for f in section.fields)


@dataclass(frozen=True)
class FormDefinition:
    """A checked, immutable form: build it with ``FormDefinition.from_dict(raw)``."""

    id: str
    title: Text
    schema: Mapping[str, Any]
    steps: tuple[Step, ...]

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FormDefinition:
        from musubi.platform.forms.checks import check_definition

        problems = check_definition(raw)
        if problems:
            raise DefinitionError(problems)
        schema = raw["schema"]
        steps = tuple(_step(step, schema) for step in raw["ui"]["steps"])
        return cls(raw["id"], raw["title"], schema, steps)

    def fields(self) -> Iterator[Field]:
        for step in self.steps:
            yield from step.fields

    def field(self, field_id: str) -> Field:
        return next(f for f in self.fields() if f.id == field_id)

    def find(self, field_id: str) -> Field | None:
        return next((f for f in self.fields() if f.id == field_id), None)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def step_of(self, field_id: str) -> Step:
        return next(s for s in self.steps if any(f.id == field_id for f in s.fields))

    def next_step(self, step_id: str) -> Step | None:
        ids = [s.id for s in self.steps]
        index = ids.index(step_id) + 1
        return self.steps[index] if index < len(ids) else None


def _field(raw: Mapping[str, Any], object_schema: Mapping[str, Any]) -> Field:
    schema = object_schema.get("properties", {})[raw["id"]]
    children: tuple[Field, ...] = ()
    if raw["widget"] == "group":
        items = schema["items"]
        children = tuple(_field(child, items) for child in raw.get("fields", ()))
    condition = raw.get("visible_if")
    return Field(
        id=raw["id"],
        widget=raw["widget"],
        label=raw.get("label") or {"ja": raw["id"]},
        schema=schema,
        required=raw["id"] in object_schema.get("required", ()),
        help=raw.get("help"),
        visible_if=Condition.from_dict(condition) if condition else None,
        prefill=raw.get("prefill"),
        options=raw.get("options", {}),
        fields=children,
    )


def _section(raw: Mapping[str, Any], schema: Mapping[str, Any]) -> Section:
    fields = tuple(_field(item, schema) for item in raw.get("fields", ()))
    return Section(raw["id"], raw.get("title", {}), fields, raw.get("help"))


def _step(raw: Mapping[str, Any], schema: Mapping[str, Any]) -> Step:
    sections = tuple(_section(item, schema) for item in raw.get("sections", ()))
    return Step(raw["id"], raw.get("title", {}), sections)
