"""Moving the procedure catalogue between instances: export to and import from a plain document.

The document (YAML or JSON, see ``data/catalogue.yaml``) names each procedure by its stable
``code`` and its department by code, and carries the current form. Importing is idempotent:
an unchanged entry changes nothing; a changed form becomes a new **draft** version (a
published version is never mutated); with ``publish=True`` that draft is put in force.
A document with any error writes nothing, and every error names the procedure and the problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from musubi.citizen.procedures.models import (
    Category,
    Channel,
    FormVersion,
    Procedure,
    VersionStatus,
)
from musubi.citizen.procedures.versions import create_version, publish_version
from musubi.platform.accounts.models import Department
from musubi.platform.forms import services as forms

FORMAT = "musubi.procedures.catalogue/1"
TEXT_FIELDS = {"name": 200, "description": None, "eligibility": None, "fee_note": 200}
PLAIN_FIELDS = (
    "eligibility_rule",
    "fee_yen",
    "legal_basis",
    "processing_days",
    "channels",
    "signature_required",
    "active",
    "kpi_tracked",
    "source_note",
    "order",
    "attachments",
)


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {"ok": self.ok}


# --- export ----------------------------------------------------------------------------------


def _current_version(procedure: Procedure) -> FormVersion | None:
    """The published version, else the newest: what a copy of this catalogue should carry."""
    versions = procedure.versions.all()
    return versions.filter(status=VersionStatus.PUBLISHED).first() or versions.first()


def _entry(procedure: Procedure) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": procedure.code,
        "category": procedure.category,
        "department": procedure.department.code,
    }
    for name in TEXT_FIELDS:
        entry[name] = {
            "ja": getattr(procedure, f"{name}_ja"),
            "en": getattr(procedure, f"{name}_en"),
        }
    entry.update({name: getattr(procedure, name) for name in PLAIN_FIELDS})
    version = _current_version(procedure)
    if version is not None:
        entry["form"] = {
            "definition": version.definition,
            "export_columns": version.export_columns,
        }
    return entry


def export_catalogue() -> dict[str, Any]:
    """Every procedure with its current form, ready for ``yaml.safe_dump``/``json.dumps``."""
    procedures = Procedure.objects.select_related("department").prefetch_related("versions")
    return {"format": FORMAT, "procedures": [_entry(p) for p in procedures]}


# --- checking --------------------------------------------------------------------------------


def _text_problems(entry: dict[str, Any]) -> list[str]:
    problems = []
    for name, limit in TEXT_FIELDS.items():
        value = entry.get(name, {"ja": "", "en": ""})
        if not isinstance(value, dict) or not {"ja", "en"} <= set(value):
            problems.append(_("%(field)s には ja と en を指定してください") % {"field": name})
        elif limit and any(len(str(value[k])) > limit for k in ("ja", "en")):
            problems.append(_("%(field)s が長すぎます") % {"field": name})
    if not str(entry.get("name", {}).get("ja", "")).strip():
        problems.append(_("名称（name.ja）がありません"))
    return problems


def _attachment_problems(attachments: Any) -> list[str]:
    if not isinstance(attachments, list):
        return [_("attachments は一覧にしてください")]
    problems = []
    for item in attachments:
        if not isinstance(item, dict) or not item.get("code") or "label" not in item:
            problems.append(_("添付書類には code と label が必要です: %(item)s") % {"item": item})
    return problems


def _value_problems(entry: dict[str, Any], departments: dict[str, Department]) -> list[str]:
    problems = []
    if entry.get("department") not in departments:
        problems.append(_("部署「%(code)s」がありません") % {"code": entry.get("department")})
    if entry.get("category") not in Category.values:
        problems.append(_("分類「%(value)s」は使えません") % {"value": entry.get("category")})
    channels = entry.get("channels", [])
    if not isinstance(channels, list) or not set(channels) <= set(Channel.values):
        problems.append(_("受付方法「%(value)s」は使えません") % {"value": channels})
    for name in ("fee_yen", "processing_days", "order"):
        value = entry.get(name, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(_("%(field)s は0以上の整数にしてください") % {"field": name})
    for name in ("signature_required", "active", "kpi_tracked"):
        if not isinstance(entry.get(name, False), bool):
            problems.append(_("%(field)s は true か false にしてください") % {"field": name})
    return problems + _attachment_problems(entry.get("attachments", []))


def _form_problems(entry: dict[str, Any]) -> list[str]:
    form = entry.get("form")
    if form is None:
        return []
    if not isinstance(form, dict) or not isinstance(form.get("definition"), dict):
        return [_("form.definition がありません")]
    problems = [
        _("様式: %(problem)s") % {"problem": p} for p in forms.check_definition(form["definition"])
    ]
    if not isinstance(form.get("export_columns", []), list):
        problems.append(_("form.export_columns は一覧にしてください"))
    return problems


def check_entry(entry: Any, departments: dict[str, Department]) -> list[str]:
    """Every problem of one catalogue entry, each prefixed with the procedure's code."""
    if not isinstance(entry, dict) or not isinstance(entry.get("code"), str) or not entry["code"]:
        return [_("code のない手続があります")]
    problems = _text_problems(entry) + _value_problems(entry, departments) + _form_problems(entry)
    return [f"{entry['code']}: {p}" for p in problems]


def _check_document(data: Any, departments: dict[str, Department]) -> list[str]:
    if not isinstance(data, dict) or not isinstance(data.get("procedures"), list):
        return [_("カタログの形式が正しくありません（procedures の一覧が必要です）")]
    if data.get("format", FORMAT) != FORMAT:
        return [_("対応していない形式です: %(format)s") % {"format": data.get("format")}]
    errors = []
    codes = [e.get("code") for e in data["procedures"] if isinstance(e, dict)]
    errors += [_("手続コード「%(code)s」が重複しています") % {"code": c} for c in _twice(codes)]
    for entry in data["procedures"]:
        errors += check_entry(entry, departments)
    return errors


def _twice(codes: list[Any]) -> list[Any]:
    return sorted({c for c in codes if codes.count(c) > 1}, key=str)


# --- import ----------------------------------------------------------------------------------


def _attributes(entry: dict[str, Any], departments: dict[str, Department]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "category": entry["category"],
        "department": departments[entry["department"]],
    }
    for name in TEXT_FIELDS:
        text = entry.get(name, {})
        values[f"{name}_ja"], values[f"{name}_en"] = text.get("ja", ""), text.get("en", "")
    defaults = {
        "channels": [],
        "attachments": [],
        "active": True,
        "kpi_tracked": True,
        "signature_required": False,
    }
    for name in PLAIN_FIELDS:
        if name in entry or name in defaults:
            values[name] = entry.get(name, defaults.get(name))
    return values


def _save_procedure(entry: dict[str, Any], departments, report: ImportReport) -> Procedure:
    values = _attributes(entry, departments)
    procedure = Procedure.objects.filter(code=entry["code"]).first()
    if procedure is None:
        report.created.append(entry["code"])
        return Procedure.objects.create(code=entry["code"], **values)
    changed = {k: v for k, v in values.items() if getattr(procedure, k) != v}
    if changed:
        for name, value in changed.items():
            setattr(procedure, name, value)
        procedure.save(update_fields=list(changed))
        report.updated.append(entry["code"])
    return procedure


def _save_form(procedure: Procedure, form: dict[str, Any], publish: bool, report) -> bool:
    """A new draft version when the form differs from the newest one; True if one was made."""
    columns = form.get("export_columns", [])
    newest = procedure.versions.order_by("-number").first()
    if newest and newest.definition == form["definition"] and newest.export_columns == columns:
        if publish and newest.status == VersionStatus.DRAFT:
            publish_version(newest)
            report.published.append(procedure.code)
        return False
    version = create_version(procedure, form["definition"], export_columns=columns)
    report.new_versions.append(procedure.code)
    if publish:
        publish_version(version)
        report.published.append(procedure.code)
    return True


def import_catalogue(
    data: dict[str, Any], *, dry_run: bool = False, publish: bool = False
) -> ImportReport:
    """Create or update each procedure by code; all or nothing; ``dry_run`` writes nothing."""
    departments = {d.code: d for d in Department.objects.all()}
    report = ImportReport(dry_run=dry_run, errors=_check_document(data, departments))
    if report.errors:
        return report
    with transaction.atomic():
        for entry in data["procedures"]:
            procedure = _save_procedure(entry, departments, report)
            made = "form" in entry and _save_form(procedure, entry["form"], publish, report)
            code = entry["code"]
            if not made and code not in report.created + report.updated:
                report.unchanged.append(code)
        if dry_run:
            transaction.set_rollback(True)
    return report
