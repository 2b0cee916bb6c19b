"""Public API of the audit trail: ``record`` an access, ``verify`` the chain."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from musubi.platform.audit.models import Action, AuditRecord, ChainHead

GENESIS = "0" * 64


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
    """Append one audit row for ``request``'s user (or API client) touching ``subject``."""
    if not isinstance(subject, Subject):
        subject = subject_of(subject)
    user = getattr(request, "user", None)
    memberships = _memberships(user)
    token = getattr(request, "auth", None)
    return append(
        actor_id=user.pk if user is not None and user.is_authenticated else None,
        actor=str(user) if user is not None and user.is_authenticated else "anonymous",
        department=",".join(dept for dept, _ in memberships),
        role=",".join(role for _, role in memberships),
        client=getattr(token, "name", "") if token is not None else "",
        action=str(action),
        purpose=purpose,
        subject_type=subject.kind,
        subject_id=subject.id,
        what=what,
        request_id=getattr(request, "request_id", ""),
    )


def _memberships(user) -> list[tuple[str, str]]:
    if user is None or not user.is_authenticated:
        return []
    return list(user.memberships.values_list("department__code", "role").order_by("department"))


def append(**fields) -> AuditRecord:
    """Write a row at the end of the chain; the head row's lock orders concurrent writers."""
    with transaction.atomic():
        head = _locked_head()
        row = AuditRecord(at=timezone.now(), previous_digest=head.last_digest, **fields)
        row.digest = row.compute_digest()
        row.save()
        ChainHead.objects.filter(pk=head.pk).update(last_digest=row.digest, count=head.count + 1)
    return row


def _locked_head() -> ChainHead:
    head, _ = ChainHead.objects.get_or_create(pk=1)
    return ChainHead.objects.select_for_update().get(pk=head.pk)


@dataclass(frozen=True)
class Break:
    """A place where the chain does not hold, in words an administrator can act on."""

    record_id: int | None
    problem: str


def verify(batch: int = 5000) -> Iterator[Break]:
    """Walk the whole chain; yield each break (edited, deleted or inserted rows)."""
    previous = GENESIS
    seen = 0
    for row in AuditRecord.objects.order_by("id").iterator(chunk_size=batch):
        seen += 1
        if row.previous_digest != previous:
            yield Break(row.id, "previous digest does not match: a row before it was removed or altered")
        if row.compute_digest() != row.digest:
            yield Break(row.id, "content does not match its digest: the row was edited")
        previous = row.digest
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_digest != previous or head.count != seen):
        yield Break(None, "the chain's end does not match the recorded head: rows were removed at the end")
