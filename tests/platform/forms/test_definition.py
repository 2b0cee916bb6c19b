"""check_definition finds authoring errors; FormDefinition refuses a faulty definition."""

from __future__ import annotations

import pytest

from musubi.platform.forms.services import DefinitionError, FormDefinition, check_definition


def fields_of(sample: dict, step: int = 0, section: int = 0) -> list[dict]:
    return sample["ui"]["steps"][step]["sections"][section]["fields"]


def test_the_sample_form_is_clean(sample):
    assert check_definition(sample) == []
    definition = FormDefinition.from_dict(sample)
    assert [s.id for s in definition.steps] == ["applicant", "children", "payment", "confirm"]
    children = definition.field("children")
    assert (children.min_items, children.max_items) == (1, 10)
    assert children.child("child_address").visible_if.operator == "equals"
    assert definition.field("name").required and not definition.field("notes").required


def test_unknown_widget(sample):
    fields_of(sample)[0]["widget"] = "kanji"
    [problem] = check_definition(sample)
    assert problem.startswith("ui.steps[0].sections[0].fields[0] (name): unknown widget 'kanji'")


def test_ui_field_not_in_schema(sample):
    fields_of(sample)[0]["id"] = "nickname"
    problems = check_definition(sample)
    assert (
        "ui.steps[0].sections[0].fields[0] (nickname): field is not a property of the schema"
        in problems
    )
    assert "schema property 'name' is not shown in any step" in problems


def test_condition_on_unknown_field(sample):
    fields_of(sample, 0, 2)[1]["visible_if"] = {"field": "married", "equals": "yes"}
    assert check_definition(sample) == [
        "ui.steps[0].sections[2].fields[1] (spouse_name): "
        "visible_if refers to unknown field 'married'"
    ]


def test_condition_needs_one_operator(sample):
    fields_of(sample, 0, 2)[1]["visible_if"] = {
        "field": "has_spouse",
        "equals": "yes",
        "in": ["no"],
    }
    assert "visible_if needs 'field' and exactly one of" in check_definition(sample)[0]


def test_duplicate_ids(sample):
    sample["ui"]["steps"][1]["id"] = "applicant"
    fields_of(sample, 3)[1]["id"] = "income_consent"
    problems = check_definition(sample)
    assert "duplicate step id 'applicant'" in problems
    assert "duplicate field id 'income_consent'" in problems


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "registry.shoe_size",
            "prefill provider 'registry' has no attribute 'shoe_size' (address, banchi, "
            "birthdate, building, children, family_name, family_name_kana, given_name, "
            "given_name_kana, name, name_kana, phone, postal_code, sex, town)",
        ),
        ("census.name", "prefill 'census.name' names no registered provider (provider.attribute)"),
        ("registry", "prefill 'registry' names no registered provider (provider.attribute)"),
    ],
)
def test_bad_prefill_source(sample, source, message):
    fields_of(sample)[0]["prefill"] = source
    assert check_definition(sample) == [f"ui.steps[0].sections[0].fields[0] (name): {message}"]


def test_widget_and_schema_type_must_agree(sample):
    fields_of(sample)[2]["widget"] = "checkbox"
    assert check_definition(sample) == [
        "ui.steps[0].sections[0].fields[2] (birthdate): widget 'checkbox' needs schema type boolean"
    ]


def test_choices_must_match_the_enum(sample):
    fields_of(sample, 0, 2)[0]["options"]["choices"][0]["value"] = "maybe"
    assert "differ from the schema enum" in check_definition(sample)[0]


def test_invalid_json_schema(sample):
    sample["schema"]["properties"]["notes"]["maxLength"] = "long"
    [problem] = check_definition(sample)
    assert problem.startswith(
        "schema is not valid JSON Schema 2020-12 at properties/notes/maxLength"
    )


def test_missing_parts_and_from_dict_raises_with_every_problem(sample):
    assert check_definition({"id": "x"}) == ["missing top-level key(s): title, schema, ui"]
    assert check_definition([]) == ["the definition must be a JSON object"]
    fields_of(sample)[0]["widget"] = "kanji"
    fields_of(sample)[1]["prefill"] = "nowhere.x"
    with pytest.raises(DefinitionError) as caught:
        FormDefinition.from_dict(sample)
    assert len(caught.value.problems) == 2


def test_a_file_field_cannot_sit_inside_a_repeating_group(sample):
    children = FormDefinition.from_dict(sample).field("children")
    group = next(f for f in fields_of(sample, step=1) if f["id"] == children.id)
    group["fields"].append({"id": "certificate", "widget": "file", "label": {"ja": "証明書"}})
    items = sample["schema"]["properties"]["children"]["items"]
    items["properties"]["certificate"] = {"type": "string"}
    problems = check_definition(sample)
    assert any(
        p.endswith(
            f"(children).fields[{len(group['fields']) - 1}] (certificate): "
            "a file field cannot be inside a group"
        )
        for p in problems
    ), problems
