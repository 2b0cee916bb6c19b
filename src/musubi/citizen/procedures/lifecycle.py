"""The life of an application: who may move it, starting, submitting and the staff moves.

Every write claims the row at the version it was based on (``_lock``) so two people never
overwrite each other; every status change is a ``Transition`` row and an event published
after the commit. ``services`` re-exports the public names; pages and the API import those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.citizen.procedures import transitions as table
from musubi.citizen.procedures.errors import (
    InvalidSubmission,
    ProcedureUnavailable,
    StaleEdit,
    TransitionNotAllowed,
)
from musubi.citizen.procedures.models import (
    CLOSED_STATUSES,
    Application,
    ApplicationAttachment,
    Channel,
    Procedure,
    StaffComment,
    Status,
    Transition,
)
from musubi.citizen.procedures.notifications import tell_applicant
from musubi.citizen.procedures.receipts import next_receipt_number
from musubi.citizen.procedures.roles import is_applicant, rule_or_refuse, staff_may
from musubi.citizen.procedures.submission import Attachment, check_submission, search_key_for
from musubi.citizen.procedures.versions import published_version
from musubi.platform.accounts import services as accounts
from musubi.platform.events.services import publish
from musubi.platform.residents import services as residents
from musubi.platform.signatures import services as signatures

# --- starting and submitting ----------------------------------------------------------------


def start_application(procedure: Procedure, **who: Any) -> Application:
    """A saved draft (``draft_application``'s arguments); counter drafts need
    ``procedures.counter``."""
    application = draft_application(procedure, **who)
    application.save(force_insert=True)
    return application


def submit_new(
    procedure: Procedure,
    data: dict[str, Any],
    *,
    applicant: Any,
    attachments: Iterable[Attachment] = (),
    signature: bytes | None = None,
) -> Application:
    """Start and submit an online application in one step (the API's POST).

    Nothing is written, not even a draft, unless everything is accepted; the row is inserted
    once, already submitted, instead of being created as a draft and then rewritten.
    """
    application = draft_application(procedure, applicant=applicant, channel=Channel.ONLINE)
    return submit(application, data, actor=applicant, attachments=attachments, signature=signature)


def draft_application(
    procedure: Procedure,
    *,
    applicant: Any,
    channel: str,
    resident: Any = None,
    actor: Any = None,
    on_behalf_of: dict[str, Any] | None = None,
) -> Application:
    """An unsaved draft with the version in force now, once the procedure, the channel and
    (at the counter) the clerk pass; ``resident`` defaults to the applicant's linked record."""
    version = published_version(procedure)
    if not procedure.active or version is None:
        raise ProcedureUnavailable(_("この手続は現在受け付けていません。"))
    if channel not in procedure.channels:
        raise ProcedureUnavailable(_("この手続はこの方法では受け付けていません。"))
    if channel == Channel.COUNTER and not any(
        d.pk == procedure.department_id
        for d in accounts.departments_granting(actor, "procedures.counter")
    ):
        raise TransitionNotAllowed(_("この操作を行う権限がありません。"))
    if resident is None and applicant is not None:
        resident = residents.resident_for(applicant)
    return Application(
        procedure=procedure,
        form_version=version,
        department_id=procedure.department_id,
        applicant=applicant,
        resident=resident,
        channel=channel,
        on_behalf_of=on_behalf_of or {},
        created_by=actor or applicant,
    )


def signing_document(application: Application, data: dict[str, Any]) -> bytes:
    """The exact bytes a resident signs (RFC 8785): procedure, form version and the answers."""
    return signatures.canonical_document(
        {
            "procedure": application.procedure.code,
            "form_version": application.form_version.number,
            "data": data,
        }
    )


def submit(
    application: Application,
    data: dict[str, Any],
    *,
    actor: Any,
    attachments: Iterable[Attachment] = (),
    signature: bytes | None = None,
) -> Application:
    """Validate on the server, number it, set the due date, record the move: all or nothing.

    An unsaved draft (``submit_new``) is inserted already submitted, with its documents and
    history loaded, so answering with it costs no further query.
    """
    if application.status != Status.DRAFT:
        raise TransitionNotAllowed(_("この申請はすでに提出されています。"))
    rule, _role = rule_or_refuse(application, Status.SUBMITTED, actor)
    clean, files_by_code = check_submission(
        application, data, actor, attachments, signed=bool(signature)
    )
    now = timezone.now()
    new = application.pk is None
    with _all_or_nothing(application):
        if not new:
            _lock(application, application.version)
        application.receipt_number = next_receipt_number(now)
        application.submitted_at = now
        application.due_date = due_date_for(application.procedure, now)
        _take_answers(application, clean)
        moved = _move(application, Status.SUBMITTED, rule, actor, "", now)
        stored = _attach(application, clean, files_by_code, signature)
    if new:
        application._prefetched_objects_cache = {"attachments": stored, "transitions": [moved]}
    return application


def resubmit(
    application: Application,
    data: dict[str, Any],
    *,
    actor: Any,
    attachments: Iterable[Attachment] = (),
    signature: bytes | None = None,
) -> Application:
    """Answer a correction request (補正): new data, the clock restarts where it stopped.

    The days spent waiting for the correction do not count against 標準処理期間
    (行政手続法 第6条), so the due date moves by that many days.
    """
    if application.status != Status.CORRECTION_REQUESTED:
        raise TransitionNotAllowed(_("差戻し中の申請だけを再提出できます。"))
    rule, _role = rule_or_refuse(application, Status.SUBMITTED, actor)
    clean, files_by_code = check_submission(
        application, data, actor, attachments, signed=bool(signature)
    )
    now = timezone.now()
    with _all_or_nothing(application):
        _lock(application, application.version)
        paused_since = application.transitions.filter(to_status=Status.CORRECTION_REQUESTED).latest(
            "at", "id"
        )
        if application.due_date:
            application.due_date += local_date(now) - local_date(paused_since.at)
        _take_answers(application, clean)
        _move(application, Status.SUBMITTED, rule, actor, "", now)
        application.attachments.all().delete()
        _attach(application, clean, files_by_code, signature)
    return application


def due_date_for(procedure: Procedure, submitted_at: dt.datetime) -> dt.date:
    """標準処理期間 counted in calendar days from the day of submission (Asia/Tokyo)."""
    return local_date(submitted_at) + dt.timedelta(days=procedure.processing_days)


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


@contextmanager
def _all_or_nothing(application: Application) -> Iterator[None]:
    """One transaction; when it fails the object is put back as stored too, so a page that
    shows the refusal (a rejected signature, say) shows the application as it still is."""
    kept = {f.attname: getattr(application, f.attname) for f in Application._meta.concrete_fields}
    adding = application._state.adding
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for name, value in kept.items():
            setattr(application, name, value)
        application._state.adding = adding
        raise


def _take_answers(application: Application, clean: dict[str, Any]) -> None:
    application.data = clean
    application.applicant_name, application.search_key = search_key_for(application, clean)


def _attach(
    application: Application,
    clean: dict[str, Any],
    files_by_code: Sequence[tuple[str, Any]],
    signature: bytes | None,
) -> list[ApplicationAttachment]:
    """Store the documents and verify the signature; the application row must exist."""
    stored = ApplicationAttachment.objects.bulk_create(
        ApplicationAttachment(application=application, requirement=code, file=file)
        for code, file in files_by_code
    )
    if signature:
        try:
            document = signing_document(application, clean)
            signatures.attach_signature(application, document, signature)
        except signatures.SignatureRejected as exc:
            raise InvalidSubmission({"signature": exc.message}) from exc
    return stored


# --- staff moves -----------------------------------------------------------------------------


def transition(
    application: Application,
    to_status: str,
    *,
    actor: Any,
    message: str = "",
    expected_version: int,
) -> Application:
    """Move along the table as ``actor``; ``StaleEdit`` if the version moved on (no write)."""
    to_status = Status(to_status)
    rule, _role = rule_or_refuse(application, to_status, actor)
    if rule.via_submit:
        raise TransitionNotAllowed(_("提出は申請内容とともに行ってください。"))
    message = (message or "").strip()
    if rule.message_required and not message:
        raise TransitionNotAllowed(_("理由を入力してください。"))
    now = timezone.now()
    with transaction.atomic():
        _lock(application, expected_version)
        if rule.by_staff and not is_applicant(application, actor):
            application.first_staff_action_at = application.first_staff_action_at or now
        if to_status == Status.COMPLETED:
            application.completed_at = now
        _move(application, to_status, rule, actor, message, now)
    return application


def assign(
    application: Application, staff: Any, *, actor: Any, expected_version: int
) -> Application:
    """Give the application to a member of its department (``None`` to release it)."""
    if not staff_may(actor, "procedures.process", application):
        raise TransitionNotAllowed(_("この操作を行う権限がありません。"))
    if (
        staff is not None
        and not staff.memberships.filter(department_id=application.department_id).exists()
    ):
        raise TransitionNotAllowed(_("担当課の職員だけを担当者にできます。"))
    with transaction.atomic():
        _lock(application, expected_version)
        application.assignee = staff
        application.first_staff_action_at = application.first_staff_action_at or timezone.now()
        _save(application, ["assignee", "first_staff_action_at"])
    publish(
        "procedures.application_assigned",
        application_id=application.pk,
        assignee_id=getattr(staff, "pk", None),
        actor_id=actor.pk,
    )
    return application


def add_comment(application: Application, text: str, *, actor: Any) -> StaffComment:
    """An internal note (never shown to the applicant); needs ``procedures.view``."""
    if not staff_may(actor, "procedures.view", application):
        raise TransitionNotAllowed(_("この操作を行う権限がありません。"))
    text = (text or "").strip()
    if not text:
        raise InvalidSubmission({"text": str(_("コメントを入力してください。"))})
    return StaffComment.objects.create(
        application=application, author=actor, text=text[:4000], at=timezone.now()
    )


def _lock(application: Application, expected_version: int) -> None:
    """Claim the row at ``expected_version`` or raise ``StaleEdit`` (inside the transaction)."""
    claimed = Application.objects.filter(pk=application.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not claimed:
        raise StaleEdit(
            _("この申請は他の職員により更新されています。最新の内容を確認してください。")
        )
    application.version = expected_version + 1


def _save(application: Application, fields: list[str]) -> None:
    application.save(update_fields=[*fields, "updated_at"])


def _move(
    application: Application,
    to_status: str,
    rule: table.Rule,
    actor: Any,
    message: str,
    now: dt.datetime,
) -> Transition:
    """Save every changed field (inserting a new application), record the move, queue the
    applicant's message in the same transaction and announce the move after commit."""
    from_status = application.status
    application.status = to_status
    if to_status in CLOSED_STATUSES:
        application.closed_at = now
    if application.pk is None:
        application.save(force_insert=True)
    else:
        application.save(update_fields=_MOVED_FIELDS)
    moved = Transition.objects.create(
        application=application,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        at=now,
        message=message,
        visible_to_applicant=rule.visible_to_applicant,
    )
    told = message if rule.visible_to_applicant else ""
    if rule.notify_applicant:
        tell_applicant(application, to_status, told)
    publish(
        f"procedures.application_{to_status}",
        application_id=application.pk,
        receipt_number=application.receipt_number or "",
        procedure=application.procedure.code,
        from_status=str(from_status),
        to_status=str(to_status),
        actor_id=getattr(actor, "pk", None),
        message=told,
        notify_applicant=rule.notify_applicant,
    )
    return moved


#: Every column a move may change: all but the key, the lock (``_lock`` bumps it) and creation.
_MOVED_FIELDS = [
    f.name
    for f in Application._meta.concrete_fields
    if not f.primary_key and f.name not in ("version", "created_at")
]
