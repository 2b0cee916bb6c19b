"""Public API of the audit trail: ``record`` an access, ``verify`` the chain, ``search`` it."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.platform.audit.models import Action, AuditRecord, ChainHead, ChainVerification

GENESIS = "0" * 64
MAX_STORED_PROBLEMS = 1000


class AuditUnavailable(RuntimeError):
    """The audit row could not be written, so the access it covers must not happen.

    Views let this propagate: the request ends in a 503 (page or problem+json) and
    no personal data is shown without its audit row (fail closed).
    """


@dataclass(frozen=True)
class Subject:
    """What was touched: a kind (``resident``, ``household``…) and its identifier."""

    kind: str
    id: str


def subject_of(obj: object) -> Subject:
    """The audit subject of a model instance: its model name and primary key."""
    return Subject(obj._meta.model_name, str(obj.pk))


def record(
    request: HttpRequest,
    *,
    action: Action | str,
    subject: Subject | object,
    what: str,
    purpose: str = "",
) -> AuditRecord:
    """Append one audit row for ``request``'s user or API client touching ``subject``.

    Raises ``AuditUnavailable`` when the row cannot be written; callers must record
    before they show or send the data.
    """
    if not isinstance(subject, Subject):
        subject = subject_of(subject)
    fields = {
        **_who(request),
        "action": Action(action).value,
        "purpose": purpose,
        "subject_type": subject.kind,
        "subject_id": subject.id,
        "what": what,
        "request_id": getattr(request, "request_id", ""),
    }
    try:
        return append(**fields)
    except DatabaseError as exc:
        raise AuditUnavailable(str(exc)) from exc


def _who(request: HttpRequest) -> dict[str, Any]:
    """Actor fields: an API token speaks for its department; a person for their memberships.

    DRF sets ``request.auth`` to the token (and ``request.user`` to AnonymousUser) for
    machine clients, on both its own Request and the underlying HttpRequest.
    """
    token = getattr(request, "auth", None)
    if token is not None and hasattr(token, "department"):
        return {
            "actor_id": None,
            "actor": token.name,
            "client": token.name,
            "department": token.department.code,
            "role": "",
        }
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"actor_id": None, "actor": "anonymous", "client": "", "department": "", "role": ""}
    memberships = list(
        user.memberships.values_list("department__code", "role").order_by("department__code")
    )
    return {
        "actor_id": user.pk,
        "actor": str(user),
        "client": "",
        "department": ",".join(dept for dept, _role in memberships),
        "role": ",".join(role for _dept, role in memberships),
    }


def append(**fields: Any) -> AuditRecord:
    """Write a row at the end of the chain; the head row's lock orders concurrent writers.

    On PostgreSQL ``select_for_update`` holds the head until commit; on SQLite the
    ``IMMEDIATE`` transaction mode takes the database write lock at BEGIN. Either way
    no two writers can read the same ``last_digest``.
    """
    fields = {name: _fit(name, value) for name, value in fields.items()}
    with transaction.atomic():
        head = _locked_head()
        row = AuditRecord(at=timezone.now(), previous_digest=head.last_digest, **fields)
        row.digest = row.compute_digest()
        row.save()
        ChainHead.objects.filter(pk=head.pk).update(last_digest=row.digest, count=head.count + 1)
    return row


def _fit(name: str, value: Any) -> Any:
    """Shorten over-long text to the column, so a long description never loses the row."""
    limit = getattr(AuditRecord._meta.get_field(name), "max_length", None)
    if isinstance(value, str) and limit and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def _locked_head() -> ChainHead:
    ChainHead.objects.get_or_create(pk=1)
    return ChainHead.objects.select_for_update().get(pk=1)


PROBLEMS = {
    "unlinked": _("直前の記録のダイジェストと一致しません（前の記録が削除・改変・挿入されました）"),
    "edited": _("内容がダイジェストと一致しません（この記録が改変されました）"),
    "tail": _("チェーンの末尾・件数が管理情報と一致しません（記録が削除または追加されました）"),
    "headless": _("チェーンの先頭情報がありません（管理情報が削除されました）"),
}


@dataclass(frozen=True)
class Break:
    """A place where the chain does not hold: the row (None = chain end) and the kind."""

    record_id: int | None
    kind: str

    @property
    def problem(self) -> str:
        return str(PROBLEMS[self.kind])


@dataclass
class Outcome:
    checked: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify(batch: int = 5000) -> Outcome:
    """Walk the whole chain and collect every break (edited, deleted or inserted rows)."""
    outcome = Outcome()
    for found in _walk(batch, outcome):
        outcome.breaks.append(found)
    return outcome


def _walk(batch: int, outcome: Outcome) -> Iterator[Break]:
    previous = GENESIS
    for row in AuditRecord.objects.order_by("id").iterator(chunk_size=batch):
        outcome.checked += 1
        if row.previous_digest != previous:
            yield Break(row.id, "unlinked")
        if row.compute_digest() != row.digest:
            yield Break(row.id, "edited")
        previous = row.digest
    head = ChainHead.objects.filter(pk=1).first()
    if head is None:
        if outcome.checked:
            yield Break(None, "headless")
    elif head.last_digest != previous or head.count != outcome.checked:
        yield Break(None, "tail")


def run_verification() -> tuple[Outcome, ChainVerification]:
    """Verify the chain and keep the result, so the audit browser can show the last check."""
    outcome = verify()
    stored = ChainVerification.objects.create(
        intact=outcome.intact,
        checked=outcome.checked,
        problems=[
            {"record_id": b.record_id, "kind": b.kind} for b in outcome.breaks[:MAX_STORED_PROBLEMS]
        ],
    )
    return outcome, stored


def last_verification() -> ChainVerification | None:
    return ChainVerification.objects.order_by("-at", "-id").first()


@dataclass(frozen=True)
class Criteria:
    """Filters of the audit browser; empty values do not filter."""

    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    actor: str = ""
    department: str = ""
    action: str = ""
    subject_type: str = ""
    subject_id: str = ""
    request_id: str = ""
    purpose: str = ""

    def describe(self) -> str:
        """A compact text of the filters used, kept in the audit row of a search or export."""
        used = {k: v for k, v in self.__dict__.items() if v not in ("", None)}
        return ", ".join(f"{k}={v}" for k, v in used.items()) or "-"


def search(criteria: Criteria) -> QuerySet[AuditRecord]:
    """Records matching ``criteria``, newest first; dates are local (Asia/Tokyo) days."""
    rows = AuditRecord.objects.all()
    if criteria.date_from:
        rows = rows.filter(at__gte=_start_of(criteria.date_from))
    if criteria.date_to:
        rows = rows.filter(at__lt=_start_of(criteria.date_to + datetime.timedelta(days=1)))
    contains = {"actor": "actor", "department": "department", "purpose": "purpose"}
    for name, column in contains.items():
        if value := getattr(criteria, name):
            rows = rows.filter(**{f"{column}__icontains": value})
    exact = ("action", "subject_type", "subject_id", "request_id")
    for name in exact:
        if value := getattr(criteria, name):
            rows = rows.filter(**{name: value})
    return rows.order_by("-id")


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
