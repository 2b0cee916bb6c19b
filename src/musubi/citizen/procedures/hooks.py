"""How procedures plug into the platform engines: who may read attached files, what uses them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from musubi.citizen.procedures.models import ApplicationAttachment
from musubi.platform.accounts import services as accounts
from musubi.platform.files import services as files
from musubi.platform.forms import services as forms


@files.register_policy("申請の審査")
def staff_of_the_department(user: Any, file: Any) -> bool:
    """Staff with ``procedures.view`` in the department handling an application the file is in."""
    departments = [d.pk for d in accounts.departments_granting(user, "procedures.view")]
    return ApplicationAttachment.objects.filter(
        file=file, application__department_id__in=departments
    ).exists()


@files.register_references
def attached_to(file: Any) -> list[str]:
    """An attached file cannot be deleted: the application names it."""
    return [
        f"{a.application.receipt_number or a.application.procedure.name_ja}"
        for a in ApplicationAttachment.objects.filter(file=file).select_related(
            "application__procedure"
        )
    ]


def _own_upload(user: Any, file_id: str) -> bool:
    """A form's file field accepts only one of the user's own uploads."""
    try:
        files.owned_file(user, file_id)
    except (files.StoredFile.DoesNotExist, ValueError, ValidationError):
        return False
    return True


forms.set_file_check(_own_upload)


def _store(user: Any, uploaded: Any) -> str:
    """A form's file field keeps its upload like the attachments page does (``FileRejected``)."""
    return str(files.store_upload(user, uploaded, purpose="procedures").pk)


def _earlier(user: Any) -> list[tuple[str, str]]:
    """The resident's own files, newest first, named as in マイ書類."""
    return [
        (str(f.pk), f"{f.original_name}（{f.created_at:%Y-%m-%d}）")
        for f in files.files_of(user)[:50]
    ]


def _name_of(file_id: str) -> str:
    """What staff pages and the PDF show for a form's file field: the file's own name."""
    try:
        found = files.StoredFile.objects.filter(pk=file_id).values_list("original_name", flat=True)
        return found.first() or file_id
    except (ValueError, ValidationError):
        return file_id


forms.set_file_store(_store)
forms.set_file_choices(_earlier)
forms.set_file_label(_name_of)
