"""``check_definition``: every authoring error in a form definition, found before a resident is.

Messages are for the people who write definitions (developers, the procedures catalogue's
editors), so they name the exact place: ``ui.steps[0].sections[1].fields[2] (children)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from musubi.platform.forms.definition import OPERATORS
from musubi.platform.forms.fieldtypes import FIELD_TYPES
from musubi.platform.forms.prefill import provider

Raw = Mapping[str, Any]


def check_definition(raw: Raw) -> list[str]:
    """Every problem found in the definition dict ``raw`` (empty when it is usable).

    ``FormDefinition.from_dict`` runs this and refuses to build on any problem, so a built
    ``FormDefinition`` needs no second check.
    """
    problems = _top_level(raw)
    if problems:
        return problems
    problems += _schema_problems(raw["schema"])
    if problems:
        return problems
    fields = list(_ui_fields(raw["ui"]))
    problems += _structure_problems(raw["ui"], fields)
    problems += _field_problems(raw["schema"], fields)
    problems += _coverage_problems(raw["schema"], fields)
    return problems


def _top_level(raw: Any) -> list[str]:
    if not isinstance(raw, Mapping):
        return ["the definition must be a JSON object"]
    missing = [key for key in ("id", "title", "schema", "ui") if key not in raw]
    if missing:
        return [f"missing top-level key(s): {', '.join(missing)}"]
    steps = raw["ui"].get("steps") if isinstance(raw["ui"], Mapping) else None
    if not isinstance(steps, list) or not steps:
        return ["ui.steps must be a non-empty list"]
    return []


def _schema_problems(schema: Any) -> list[str]:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(root)"
        return [f"schema is not valid JSON Schema 2020-12 at {where}: {exc.message}"]
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), Mapping):
        return ["schema must be an object schema with properties"]
    return []


def _ui_fields(ui: Raw) -> Iterator[tuple[str, Raw, Raw | None]]:
    """(place, field, parent group or None) for every field, rows' fields included."""
    for s, step in enumerate(ui["steps"]):
        for c, section in enumerate(step.get("sections", ())):
            for f, item in enumerate(section.get("fields", ())):
                place = f"ui.steps[{s}].sections[{c}].fields[{f}] ({item.get('id', '?')})"
                yield place, item, None
                for r, child in enumerate(item.get("fields", ()) if _is_group(item) else ()):
                    yield f"{place}.fields[{r}] ({child.get('id', '?')})", child, item


def _is_group(item: Raw) -> bool:
    return item.get("widget") == "group"


def _structure_problems(ui: Raw, fields: list[tuple[str, Raw, Raw | None]]) -> list[str]:
    problems = []
    for kind, ids in (
        ("step", [step.get("id") for step in ui["steps"]]),
        ("section", [sec.get("id") for st in ui["steps"] for sec in st.get("sections", ())]),
        ("field", [item.get("id") for _p, item, parent in fields if parent is None]),
    ):
        problems += [f"{kind} without an id" for i in ids if not i]
        problems += [f"duplicate {kind} id {i!r}" for i in sorted(set(ids)) if ids.count(i) > 1]
    for place, item, parent in fields:
        if parent is not None and not item.get("id"):
            problems.append(f"{place}: field without an id")
    return problems


def _property(schema: Raw, item: Raw, parent: Raw | None) -> Raw | None:
    container = schema["properties"].get(parent["id"], {}).get("items", {}) if parent else schema
    return container.get("properties", {}).get(item.get("id"))


def _field_problems(schema: Raw, fields: list[tuple[str, Raw, Raw | None]]) -> list[str]:
    problems = []
    for place, item, parent in fields:
        prop = _property(schema, item, parent)
        if prop is None:
            problems.append(f"{place}: field is not a property of the schema")
            continue
        problems += _widget_problems(place, item, prop, parent)
        problems += _condition_problems(place, item, schema, parent)
        problems += _prefill_problems(place, item)
    return problems


def _widget_problems(place: str, item: Raw, prop: Raw, parent: Raw | None) -> list[str]:
    kind = FIELD_TYPES.get(item.get("widget", ""))
    if kind is None:
        known = ", ".join(sorted(FIELD_TYPES))
        return [f"{place}: unknown widget {item.get('widget')!r} (known: {known})"]
    problems = []
    if prop.get("type") not in kind.schema_types:
        wanted = " or ".join(sorted(kind.schema_types))
        problems.append(f"{place}: widget {kind.widget!r} needs schema type {wanted}")
    if kind.widget == "group":
        if parent is not None:
            problems.append(f"{place}: a group cannot be nested in another group")
        if prop.get("items", {}).get("type") != "object":
            problems.append(f"{place}: a group's schema needs items of type object")
    if kind.widget == "file" and parent is not None:
        # A document belongs to the application, not to one row: an attachment requirement
        # (or a file field outside the group) says which document it is.
        problems.append(f"{place}: a file field cannot be inside a group")
    if kind.widget in ("choice", "select", "multichoice"):
        problems += _choice_problems(place, item, prop)
    return problems


def _choice_problems(place: str, item: Raw, prop: Raw) -> list[str]:
    enum = prop.get("enum") or prop.get("items", {}).get("enum")
    listed = [str(c.get("value")) for c in item.get("options", {}).get("choices", ())]
    if not enum and not listed:
        return [f"{place}: a choice needs options.choices or an enum in the schema"]
    if enum and listed and sorted(map(str, enum)) != sorted(listed):
        return [f"{place}: options.choices values {listed} differ from the schema enum {enum}"]
    return []


def _condition_problems(place: str, item: Raw, schema: Raw, parent: Raw | None) -> list[str]:
    condition = item.get("visible_if")
    if condition is None:
        return []
    operators = [op for op in OPERATORS if op in condition]
    if "field" not in condition or len(operators) != 1:
        return [f"{place}: visible_if needs 'field' and exactly one of {', '.join(OPERATORS)}"]
    if operators == ["in"] and not isinstance(condition["in"], list):
        return [f"{place}: visible_if 'in' needs a list"]
    siblings = {c.get("id") for c in parent.get("fields", ())} if parent else set()
    if condition["field"] not in siblings | set(schema["properties"]):
        return [f"{place}: visible_if refers to unknown field {condition['field']!r}"]
    if condition["field"] == item.get("id"):
        return [f"{place}: visible_if refers to the field itself"]
    return []


def _prefill_problems(place: str, item: Raw) -> list[str]:
    source = item.get("prefill")
    if source is None:
        return []
    name, _dot, attribute = str(source).partition(".")
    found = provider(name)
    if found is None or not attribute:
        return [f"{place}: prefill {source!r} names no registered provider (provider.attribute)"]
    if found.attributes is not None and attribute not in found.attributes:
        known = ", ".join(sorted(found.attributes))
        return [f"{place}: prefill provider {name!r} has no attribute {attribute!r} ({known})"]
    return []


def _coverage_problems(schema: Raw, fields: list[tuple[str, Raw, Raw | None]]) -> list[str]:
    shown = {item.get("id") for _p, item, parent in fields if parent is None}
    return [
        f"schema property {name!r} is not shown in any step"
        for name in schema["properties"]
        if name not in shown
    ]
