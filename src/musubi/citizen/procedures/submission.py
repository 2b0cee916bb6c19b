"""Checking what is submitted, on the server, whatever the page or API client did before.

The answers go through the form engine exactly as a resident's draft would (same cleaning,
same registry values for read-only fields, same document check), and the attachments are
matched against the procedure's required documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from musubi.citizen.procedures.errors import InvalidSubmission
from musubi.citizen.procedures.models import Application, Channel
from musubi.platform.files import services as files
from musubi.platform.forms import services as forms
from musubi.platform.residents.text import search_form

INPUT_PREFIX = "f-"
Attachment = tuple[str, Any]  # (requirement code, files.StoredFile)


class _Answers:
    """An unsaved stand-in for a form draft, so the engine can judge data sent in one piece."""

    def __init__(self, form_key: str, data: dict[str, Any]) -> None:
        self.form_key = form_key
        self.data = dict(data)
        self.typed: dict[str, Any] = {}
        self.sources: dict[str, str] = {}
        self.current_step = ""

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to keep: the caller stores the result on the application."""


@lru_cache(maxsize=128)
def _parsed(version_id: int, text: str) -> forms.FormDefinition:
    return forms.FormDefinition.from_dict(json.loads(text))


def definition_of(version: Any) -> forms.FormDefinition:
    """The checked definition of a form version, parsed once per process (checking a
    definition costs more than validating a submission; the text is part of the key, so an
    edited draft version is parsed again)."""
    return _parsed(version.pk, json.dumps(version.definition, sort_keys=True))


def _user_of(application: Application, actor: Any) -> Any:
    return application.applicant if application.applicant_id else actor


def validated_data(application: Application, data: Any, actor: Any) -> dict[str, Any]:
    """The normalised answers, or ``InvalidSubmission`` naming each wrong field."""
    if not isinstance(data, dict):
        raise InvalidSubmission({"form": str(_("申請内容の形式が正しくありません。"))})
    version = application.form_version
    # Registry values come from the application's resident at the counter, and for an
    # application being created right now (its resident is the account's link, just read).
    resident_known = application.channel == Channel.COUNTER or application.pk is None
    session = forms.FormSession(
        definition_of(version),
        _user_of(application, actor),
        _Answers(version.form_key, data),
        urls=forms.Urls(step=lambda _step: "", review="", submit=""),
        prefill_resident=application.resident if resident_known else None,
    )
    try:
        return session.final_data()
    except forms.FormIncomplete as exc:
        errors = {
            _field_path(name): msg for step in exc.problems.values() for name, msg in step.items()
        }
        raise InvalidSubmission(errors) from exc
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # wrongly shaped values
        raise InvalidSubmission({"form": str(_("申請内容の形式が正しくありません。"))}) from exc


def _field_path(input_name: str) -> str:
    """``f-children-0-birthdate`` (the engine's input name) → ``children-0-birthdate``."""
    return input_name.removeprefix(INPUT_PREFIX)


def _file_fields(application: Application) -> list[str]:
    definition = definition_of(application.form_version)
    return [f.id for f in definition.fields() if f.widget == "file"]


def _owned(application: Application, actor: Any, file: Any) -> bool:
    owners = {application.applicant_id, getattr(actor, "pk", None)} - {None}
    return getattr(file, "owner_id", None) in owners


def _file_by_id(application: Application, actor: Any, file_id: str) -> Any:
    for owner in (application.applicant, actor):
        if owner is None:
            continue
        try:
            return files.owned_file(owner, file_id)
        except (files.StoredFile.DoesNotExist, ValueError, ValidationError):
            continue
    return None


def collect_attachments(
    application: Application, clean: dict[str, Any], actor: Any, given: Iterable[Attachment]
) -> list[Attachment]:
    """Files named in the call plus those of the form's file fields; checks codes and owners."""
    known = {a["code"]: a for a in application.procedure.attachments}
    fields = _file_fields(application)
    found: list[Attachment] = []
    errors: dict[str, str] = {}
    for code, file in given:
        if code not in known and code not in fields:
            errors[f"attachments:{code}"] = str(_("この手続にない添付書類です。"))
        elif not _owned(application, actor, file):
            errors[f"attachments:{code}"] = str(_("添付できないファイルです。"))
        else:
            found.append((code, file))
    for field_id in fields:
        if clean.get(field_id):
            file = _file_by_id(application, actor, str(clean[field_id]))
            if file is None:
                errors[field_id] = str(_("添付できないファイルです。"))
            else:
                found.append((field_id, file))
    errors.update(_missing(application, {code for code, _file in found}))
    if errors:
        raise InvalidSubmission(errors)
    return list(dict.fromkeys(found))


def _missing(application: Application, present: set[str]) -> dict[str, str]:
    """Required documents not attached; at the counter staff see the paper originals instead."""
    if application.channel == Channel.COUNTER:
        return {}
    return {
        f"attachments:{a['code']}": str(_("「%(label)s」を添付してください。"))
        % {"label": forms.localize(a.get("label"))}
        for a in application.procedure.attachments
        if a.get("required") and a["code"] not in present
    }


def check_submission(
    application: Application,
    data: Any,
    actor: Any,
    attachments: Iterable[Attachment],
    *,
    signed: bool = False,
) -> tuple[dict[str, Any], list[Attachment]]:
    """Answers, documents and the signature together, so every problem is reported at once."""
    errors: dict[str, str] = signature_problem(application, signed)
    clean: dict[str, Any] = {}
    try:
        clean = validated_data(application, data, actor)
    except InvalidSubmission as exc:
        errors.update(exc.errors)
    try:
        found = collect_attachments(application, clean, actor, attachments)
    except InvalidSubmission as exc:
        errors.update({k: v for k, v in exc.errors.items() if k not in errors})
        found = []
    if errors:
        raise InvalidSubmission(errors)
    return clean, found


def signature_problem(application: Application, signed: bool) -> dict[str, str]:
    """An online application of a procedure that asks for it must carry a signature; at the
    counter the clerk has checked the resident's identity card instead."""
    needed = application.procedure.signature_required and application.channel == Channel.ONLINE
    if needed and not signed:
        return {"signature": str(_("この手続はマイナンバーカード等による電子署名が必要です。"))}
    return {}


def _first(definition: forms.FormDefinition, clean: dict[str, Any], widget: str) -> str:
    for item in definition.fields():
        value = clean.get(item.id)
        if item.widget == widget and isinstance(value, dict):
            return f"{value.get('family', '')} {value.get('given', '')}".strip()
    return ""


def search_key_for(application: Application, clean: dict[str, Any]) -> tuple[str, str]:
    """The applicant's name for lists, and the key the inbox searches (receipt, name, kana)."""
    definition = definition_of(application.form_version)
    person = application.resident
    name = _first(definition, clean, "name") or (str(person) if person else "")
    kana = _first(definition, clean, "kana_name") or (person.full_name_kana if person else "")
    key = "|".join(search_form(part) for part in (application.receipt_number or "", name, kana))
    return name[:120], key[:300]
