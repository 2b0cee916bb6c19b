"""Lists: the catalogue search, a resident's own applications, and a department's inbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from musubi.citizen.procedures.lifecycle import local_date
from musubi.citizen.procedures.models import CLOSED_STATUSES, Application, Procedure, Status
from musubi.platform.residents.text import search_form

UNASSIGNED = "unassigned"
#: Words of a catalogue search that are used (each one adds four LIKE conditions).
MAX_WORDS = 10


def find_procedures(words: str = "", category: str = "") -> QuerySet[Procedure]:
    """Procedures accepting applications whose name or description has every word (ja or en),
    of ``category`` when one is given."""
    found = Procedure.objects.filter(active=True).select_related("department")
    if category:
        found = found.filter(category=category)
    for word in words.split()[:MAX_WORDS]:
        found = found.filter(
            Q(name_ja__icontains=word)
            | Q(name_en__icontains=word)
            | Q(description_ja__icontains=word)
            | Q(description_en__icontains=word)
        )
    return found


def applications_for(user: Any) -> QuerySet[Application]:
    """A resident's own applications, newest first (drafts included)."""
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    return (
        Application.objects.filter(applicant=user)
        .select_related("procedure")
        .order_by(F("submitted_at").desc(nulls_first=True), "-id")
    )


@dataclass(frozen=True)
class InboxFilters:
    """What a department inbox is narrowed to; every field optional."""

    status: str | Sequence[str] | None = None
    procedure: Procedure | str | None = None
    overdue: bool = False
    assignee: Any = None  # a user, a user id, or UNASSIGNED
    text: str = ""


def inbox(department: Any, filters: InboxFilters | None = None) -> QuerySet[Application]:
    """Submitted applications of ``department`` (one or several), most urgent first.

    Overdue: past the due date and still waiting for the city (not closed, not approved and
    issued, not waiting for the resident's correction).
    """
    filters = filters or InboxFilters()
    departments = department if isinstance(department, Iterable) else [department]
    found = Application.objects.filter(department__in=list(departments)).exclude(
        status=Status.DRAFT
    )
    found = _by_status(found, filters.status)
    if filters.procedure is not None:
        key = "procedure__code" if isinstance(filters.procedure, str) else "procedure"
        found = found.filter(**{key: filters.procedure})
    if filters.overdue:
        found = found.filter(due_date__lt=local_date(timezone.now())).exclude(
            status__in=[*CLOSED_STATUSES, Status.CORRECTION_REQUESTED]
        )
    if filters.assignee == UNASSIGNED:
        found = found.filter(assignee__isnull=True)
    elif filters.assignee is not None:
        found = found.filter(assignee=filters.assignee)
    if filters.text.strip():
        found = found.filter(search_key__contains=search_form(filters.text))
    return found.select_related(*_INBOX_RELATED).order_by(
        F("due_date").asc(nulls_last=True), "submitted_at", "id"
    )


#: What an inbox row shows besides the application itself.
_INBOX_RELATED = ("procedure", "assignee")


def inbox_rows(ids: Sequence[int]) -> dict[int, Application]:
    """The inbox's rows of these applications by id, without their answers (a list does not
    show them), for a page whose ids the filtered ``inbox`` query chose."""
    return Application.objects.select_related(*_INBOX_RELATED).defer("data").in_bulk(ids)


def _by_status(found: QuerySet[Application], status: str | Sequence[str] | None):
    if not status:
        return found
    return found.filter(status__in=[status] if isinstance(status, str) else list(status))
