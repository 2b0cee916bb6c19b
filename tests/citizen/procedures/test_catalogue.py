"""The shipped catalogue, import/export round trips, and precise errors for bad documents."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from musubi.citizen.procedures import demo, services
from musubi.citizen.procedures.models import FormVersion, Procedure, VersionStatus
from musubi.platform.accounts import services as accounts
from musubi.platform.forms import services as forms

REAL_FORMS = [
    "jidou-teate-nintei",
    "jidou-teate-genkyo",
    "ninshin-todoke",
    "hoiku-riyou",
    "youkaigo-nintei",
    "kougaku-kaigo",
    "juminhyo-utsushi",
]


@pytest.fixture
def shipped() -> dict:
    return yaml.safe_load(demo.CATALOGUE.read_text(encoding="utf-8"))


@pytest.fixture
def departments(db):
    accounts.sync_reference_data()


def by_code(catalogue: dict) -> dict[str, dict]:
    return {entry["code"]: entry for entry in catalogue["procedures"]}


def test_the_shipped_catalogue_has_the_26_priority_procedures_and_juminhyo(shipped):
    entries = by_code(shipped)
    categories = [e["category"] for e in entries.values()]
    assert categories.count("kosodate") == 15 and categories.count("kaigo") == 11
    assert entries["juminhyo-utsushi"]["fee_yen"] == 300
    assert "[unverified]" in entries["jidou-teate-shoumetsu"]["source_note"]
    assert "[unverified]" not in entries["jidou-teate-nintei"]["source_note"]
    for entry in entries.values():
        assert forms.check_definition(entry["form"]["definition"]) == [], entry["code"]


@pytest.mark.parametrize("code", REAL_FORMS)
def test_the_real_forms_pass_and_are_substantial(shipped, code):
    definition = by_code(shipped)[code]["form"]["definition"]
    assert forms.check_definition(definition) == []
    fields = list(forms.FormDefinition.from_dict(definition).fields())
    assert len(fields) >= 10
    assert any(f.prefill and f.prefill.startswith("registry.") for f in fields)


def test_child_allowance_claim_has_prefilled_children_and_a_bank_account(shipped):
    definition = forms.FormDefinition.from_dict(
        by_code(shipped)["jidou-teate-nintei"]["form"]["definition"]
    )
    children = definition.field("children")
    assert children.widget == "group" and children.prefill == "registry.children"
    assert definition.field("bank_account").widget == "bank_account"
    assert definition.field("spouse_name").visible_if is not None
    assert {f.widget for f in definition.fields()} >= {"file", "name", "kana_name", "date"}


def test_import_publish_then_export_round_trips(departments, shipped):
    report = services.import_catalogue(shipped, publish=True)
    assert report.ok and len(report.created) == 27 and len(report.published) == 27
    assert Procedure.objects.get(code="ninshin-todoke").department.code == "chiikihoken"
    exported = services.export_catalogue()
    assert by_code(exported) == {
        code: {k: v for k, v in entry.items()} for code, entry in by_code(shipped).items()
    }
    again = services.import_catalogue(json.loads(json.dumps(exported)))
    assert again.ok and again.created == again.updated == again.new_versions == []
    assert len(again.unchanged) == 27


def test_a_changed_form_becomes_a_new_draft_and_the_published_one_stays(departments, shipped):
    services.import_catalogue(shipped, publish=True)
    published = FormVersion.objects.get(procedure__code="juminhyo-utsushi")
    changed = copy.deepcopy(shipped)
    entry = by_code(changed)["juminhyo-utsushi"]
    entry["form"]["definition"]["title"]["ja"] = "住民票の写し交付請求書（改）"
    entry["processing_days"] = 5
    report = services.import_catalogue(changed)
    assert report.new_versions == ["juminhyo-utsushi"] and report.updated == ["juminhyo-utsushi"]
    published.refresh_from_db()
    assert published.status == VersionStatus.PUBLISHED
    assert published.definition["title"]["ja"] == "住民票の写し等交付請求書"
    draft = FormVersion.objects.get(procedure__code="juminhyo-utsushi", number=2)
    assert draft.status == VersionStatus.DRAFT
    assert services.published_version(published.procedure) == published


def test_a_dry_run_writes_nothing(departments, shipped):
    report = services.import_catalogue(shipped, dry_run=True)
    assert report.ok and len(report.created) == 27
    assert not Procedure.objects.exists()


def test_errors_name_the_procedure_and_the_problem_and_nothing_is_written(departments, shipped):
    bad = copy.deepcopy(shipped)
    entries = by_code(bad)
    entries["hoiku-riyou"]["department"] = "hoikuka"
    entries["ninshin-todoke"]["form"]["definition"]["ui"]["steps"][0]["sections"][0]["fields"][0][
        "widget"
    ] = "hologram"
    entries["kougaku-kaigo"]["channels"] = ["fax"]
    report = services.import_catalogue(bad)
    assert not report.ok
    text = "\n".join(report.errors)
    assert "hoiku-riyou: 部署「hoikuka」がありません" in text
    assert "ninshin-todoke: 様式:" in text and "hologram" in text
    assert "kougaku-kaigo: 受付方法" in text
    assert not Procedure.objects.exists()


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([], "procedures の一覧"),
        ({"procedures": [{"name": {"ja": "x", "en": "x"}}]}, "code のない手続"),
        ({"format": "other/9", "procedures": []}, "対応していない形式"),
        ({"procedures": [{"code": "a"}, {"code": "a"}]}, "重複"),
    ],
)
def test_malformed_documents(departments, document, problem):
    report = services.import_catalogue(document)
    assert any(problem in error for error in report.errors), report.errors


def test_cli_export_and_import(departments, shipped, tmp_path, capsys):
    source = tmp_path / "catalogue.yaml"
    source.write_text(yaml.safe_dump(shipped, allow_unicode=True), encoding="utf-8")
    call_command("catalogue", "import", str(source), "--dry-run")
    assert "Dry run" in capsys.readouterr().out and not Procedure.objects.exists()
    call_command("catalogue", "import", str(source), "--publish")
    assert "27 created" in capsys.readouterr().out
    target = tmp_path / "out.json"
    call_command("catalogue", "export", str(target))
    assert len(json.loads(target.read_text(encoding="utf-8"))["procedures"]) == 27
    by_code(shipped)["hoiku-riyou"]["department"] = "nowhere"
    source.write_text(yaml.safe_dump(shipped, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandError, match="hoiku-riyou: 部署「nowhere」がありません"):
        call_command("catalogue", "import", str(source))
    broken = tmp_path / "broken.yaml"
    broken.write_text("procedures: [unclosed", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid YAML"):
        call_command("catalogue", "import", str(broken))
