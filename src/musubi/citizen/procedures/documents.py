"""The documents an application will carry, chosen before it is submitted.

Only file ids are kept (in the session) until the submit, which checks the owners again. A
resident attaches their own files or picks earlier ones (once only); at the counter staff
attach scans of the papers the resident brought, and are never offered files of other
residents. A document the form itself asked for (a file field whose id is a requirement's
code) is not asked for again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from musubi.citizen.procedures.models import Application
from musubi.citizen.procedures.submission import definition_of
from musubi.platform.files import services as files
from musubi.platform.forms import services as forms


@dataclass
class Pending:
    """What was chosen for one application before submitting it."""

    attachments: dict[str, str]  # requirement code → StoredFile id
    signature: str = ""  # base64 of the DER CMS
    signed_sha256: str = ""  # of the document it signs

    @classmethod
    def load(cls, request: HttpRequest, application: Application) -> Pending:
        stored = request.session.get(_pending_key(application))
        if stored is None:
            initial = {a.requirement: str(a.file_id) for a in application.attachments.all()}
            return cls(attachments=initial)
        return cls(**stored)

    def save(self, request: HttpRequest, application: Application) -> None:
        request.session[_pending_key(application)] = self.__dict__

    @staticmethod
    def forget(request: HttpRequest, application: Application) -> None:
        request.session.pop(_pending_key(application), None)


def _pending_key(application: Application) -> str:
    return f"procedures:pending:{application.pk}"


def _owned_or_none(user: Any, file_id: str) -> Any:
    try:
        return files.owned_file(user, file_id)
    except (files.StoredFile.DoesNotExist, ValueError, ValidationError):
        return None


def form_files(application: Application, data: dict[str, Any], user: Any) -> dict[str, Any]:
    """Requirement code → the file the form's own file field of that id already attached."""
    codes = {item["code"] for item in application.procedure.attachments}
    fields = [f.id for f in definition_of(application.form_version).fields() if f.widget == "file"]
    found = {}
    for field_id in fields:
        if field_id in codes and data.get(field_id):
            file = _owned_or_none(user, str(data[field_id]))
            if file is not None:
                found[field_id] = file
    return found


def slots(
    application: Application, pending: Pending, user: Any, from_form: dict[str, Any]
) -> list[dict[str, Any]]:
    """One entry per document the procedure asks for, with the file chosen for it, if any."""
    chosen = {code: _owned_or_none(user, file_id) for code, file_id in pending.attachments.items()}
    return [
        {
            "code": item["code"],
            "label": forms.localize(item.get("label")),
            "required": bool(item.get("required")),
            "file": from_form.get(item["code"]) or chosen.get(item["code"]),
            "from_form": item["code"] in from_form,
        }
        for item in application.procedure.attachments
    ]


def chosen(slot_list: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """The (code, file) pairs to hand to the submit; the form's own files travel in the data."""
    return [(s["code"], s["file"]) for s in slot_list if s["file"] and not s["from_form"]]


def _take_file(request: HttpRequest, code: str, reuse: bool) -> tuple[Any, str]:
    """The file for slot ``code`` from this POST: a new upload wins over a reused one."""
    uploaded = request.FILES.get(f"upload-{code}")
    if uploaded is not None:
        try:
            return files.store_upload(request.user, uploaded, purpose="procedures"), ""
        except files.FileRejected as exc:
            return None, exc.message
    earlier = request.POST.get(f"reuse-{code}", "") if reuse else ""
    if earlier:
        file = _owned_or_none(request.user, earlier)
        return (file, "") if file is not None else (None, _("選んだファイルが見つかりません。"))
    return None, ""


def update(
    request: HttpRequest,
    application: Application,
    pending: Pending,
    from_form: dict[str, Any],
    *,
    reuse: bool = True,
    require: bool = True,
) -> dict[str, str]:
    """Apply this POST to the pending documents; every slot is handled even if one fails.

    ``require`` asks for every required document (online); at the counter the clerk sees the
    paper originals, so a scan is welcome but never demanded.
    """
    try:
        files.check_total(request.FILES.values())
    except files.FileRejected as exc:
        return {"": exc.message}
    errors: dict[str, str] = {}
    for item in application.procedure.attachments:
        code = item["code"]
        if code in from_form or request.POST.get(f"remove-{code}"):
            pending.attachments.pop(code, None)
            continue
        stored, problem = _take_file(request, code, reuse)
        if problem:
            errors[code] = problem
        elif stored is not None:
            pending.attachments[code] = str(stored.pk)
    pending.save(request, application)
    if require and not errors and request.POST.get("_action") != "save":
        errors = _missing(slots(application, pending, request.user, from_form))
    return errors


def _missing(slot_list: list[dict[str, Any]]) -> dict[str, str]:
    return {
        s["code"]: _("「%(label)s」を添付してください。") % {"label": s["label"]}
        for s in slot_list
        if s["required"] and s["file"] is None
    }
