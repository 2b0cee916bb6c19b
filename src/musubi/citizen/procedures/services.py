"""Public API of online procedures (``musubi.citizen.procedures``); pages and the API call this.

Lifecycle (the table is ``transitions.TABLE``)::

    app = start_application(procedure, applicant=user, channel=Channel.ONLINE)   # draft
    app = submit(app, data, actor=user, attachments=[("boshi_techo", stored_file)],
                 signature=cms_bytes)                    # validates, receipt number, due date
    app = transition(app, Status.RECEIVED, actor=clerk, expected_version=app.version)
    app = transition(app, Status.CORRECTION_REQUESTED, actor=clerk, message="…",
                     expected_version=app.version)
    app = resubmit(app, fixed_data, actor=user)
    ...  Status.IN_REVIEW → Status.APPROVED → Status.COMPLETED

Every change bumps ``Application.version``; a staff change names the version it was based on
(``expected_version``) and raises ``StaleEdit`` if someone else got there first. Each status
change is a ``Transition`` row and publishes ``procedures.application_<to_status>``.
Errors: ``TransitionNotAllowed``, ``StaleEdit``, ``InvalidSubmission(errors)``,
``ProcedureUnavailable``, ``InvalidDefinition(problems)`` (all ``ProcedureError``, with
``.message`` and ``.messages()``).

Catalogue: ``export_catalogue()``, ``import_catalogue(data, dry_run=...)`` (``catalogue.py``);
form versions: ``create_version``, ``publish_version``, ``published_version``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.citizen.procedures import transitions as table
from musubi.citizen.procedures.catalogue import export_catalogue, import_catalogue
from musubi.citizen.procedures.errors import (
    InvalidDefinition,
    InvalidSubmission,
    ProcedureError,
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
from musubi.citizen.procedures.receipts import next_receipt_number
from musubi.citizen.procedures.submission import Attachment, check_submission, search_key_for
from musubi.citizen.procedures.versions import create_version, publish_version, published_version
from musubi.platform.accounts import services as accounts
from musubi.platform.events.services import publish
from musubi.platform.residents import services as residents
from musubi.platform.residents.text import search_form
from musubi.platform.signatures import services as signatures

__all__ = [
    "UNASSIGNED",
    "Attachment",
    "InboxFilters",
    "InvalidDefinition",
    "InvalidSubmission",
    "ProcedureError",
    "ProcedureUnavailable",
    "StaleEdit",
    "TransitionNotAllowed",
    "add_comment",
    "allowed_transitions",
    "applications_for",
    "assign",
    "can_view",
    "create_version",
    "export_catalogue",
    "import_catalogue",
    "inbox",
    "publish_version",
    "published_version",
    "resubmit",
    "signing_document",
    "start_application",
    "submit",
    "transition",
]

UNASSIGNED = "unassigned"


# --- who may do what -------------------------------------------------------------------------


def _is_applicant(application: Application, actor: Any) -> bool:
    return bool(application.applicant_id) and getattr(actor, "pk", None) == application.applicant_id


def _staff_may(actor: Any, code: str, application: Application) -> bool:
    granted = accounts.departments_granting(actor, code)
    return any(d.pk == application.department_id for d in granted)


def _acts_as(rule: table.Rule, application: Application, actor: Any) -> str | None:
    """Which of the rule's roles ``actor`` fills for this application (None: none)."""
    for who in rule.who:
        if who == table.APPLICANT and _is_applicant(application, actor):
            return who
        if who == table.COUNTER and application.channel != Channel.COUNTER:
            continue  # counter staff act for residents only on counter applications
        if who != table.APPLICANT and _staff_may(actor, who, application):
            return who
    return None


def _rule_or_refuse(application: Application, to_status: str, actor: Any) -> tuple[table.Rule, str]:
    rule = table.rule_for(application.status, to_status)
    if rule is None:
        raise TransitionNotAllowed(
            _("「%(from)s」から「%(to)s」には変更できません。"),
            **{"from": Status(application.status).label, "to": Status(to_status).label},
        )
    role = _acts_as(rule, application, actor)
    if role is None:
        raise TransitionNotAllowed(_("この操作を行う権限がありません。"))
    return rule, role


def allowed_transitions(application: Application, actor: Any) -> list[str]:
    """Statuses ``actor`` may move the application to now (submit/resubmit excluded)."""
    return [
        to
        for to in table.next_statuses(application.status)
        if not table.TABLE[(application.status, to)].via_submit
        and _acts_as(table.TABLE[(application.status, to)], application, actor)
    ]


def can_view(user: Any, application: Application) -> bool:
    """The applicant, or staff with ``procedures.view`` in the application's department."""
    return _is_applicant(application, user) or _staff_may(user, "procedures.view", application)


# --- starting and submitting ----------------------------------------------------------------


def start_application(
    procedure: Procedure,
    *,
    applicant: Any,
    channel: str,
    resident: Any = None,
    actor: Any = None,
    on_behalf_of: dict[str, Any] | None = None,
) -> Application:
    """A draft with the version in force now; counter drafts need ``procedures.counter``."""
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
    return Application.objects.create(
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
    """Validate on the server, number it, set the due date, record the move: all or nothing."""
    if application.status != Status.DRAFT:
        raise TransitionNotAllowed(_("この申請はすでに提出されています。"))
    rule, _role = _rule_or_refuse(application, Status.SUBMITTED, actor)
    clean, files_by_code = check_submission(application, data, actor, attachments)
    now = timezone.now()
    with transaction.atomic():
        _lock(application, application.version)
        application.receipt_number = next_receipt_number(now)
        application.submitted_at = now
        application.due_date = due_date_for(application.procedure, now)
        _store_submission(application, clean, files_by_code, signature, actor)
        _move(application, Status.SUBMITTED, rule, actor, "", now)
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
    rule, _role = _rule_or_refuse(application, Status.SUBMITTED, actor)
    clean, files_by_code = check_submission(application, data, actor, attachments)
    now = timezone.now()
    with transaction.atomic():
        _lock(application, application.version)
        paused_since = application.transitions.filter(to_status=Status.CORRECTION_REQUESTED).latest(
            "at", "id"
        )
        if application.due_date:
            application.due_date += _local_date(now) - _local_date(paused_since.at)
        application.attachments.all().delete()
        _store_submission(application, clean, files_by_code, signature, actor)
        _move(application, Status.SUBMITTED, rule, actor, "", now)
    return application


def due_date_for(procedure: Procedure, submitted_at: dt.datetime) -> dt.date:
    """標準処理期間 counted in calendar days from the day of submission (Asia/Tokyo)."""
    return _local_date(submitted_at) + dt.timedelta(days=procedure.processing_days)


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _store_submission(
    application: Application,
    clean: dict[str, Any],
    files_by_code: Sequence[tuple[str, Any]],
    signature: bytes | None,
    actor: Any,
) -> None:
    application.data = clean
    application.applicant_name, application.search_key = search_key_for(application, clean)
    for code, stored in files_by_code:
        ApplicationAttachment.objects.create(application=application, requirement=code, file=stored)
    if signature:
        try:
            document = signing_document(application, clean)
            signatures.attach_signature(application, document, signature)
        except signatures.SignatureRejected as exc:
            raise InvalidSubmission({"signature": exc.message}) from exc


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
    rule, _role = _rule_or_refuse(application, to_status, actor)
    if rule.via_submit:
        raise TransitionNotAllowed(_("提出は申請内容とともに行ってください。"))
    message = (message or "").strip()
    if rule.message_required and not message:
        raise TransitionNotAllowed(_("理由を入力してください。"))
    now = timezone.now()
    with transaction.atomic():
        _lock(application, expected_version)
        if rule.by_staff and not _is_applicant(application, actor):
            application.first_staff_action_at = application.first_staff_action_at or now
        if to_status == Status.COMPLETED:
            application.completed_at = now
        _move(application, to_status, rule, actor, message, now)
    return application


def assign(
    application: Application, staff: Any, *, actor: Any, expected_version: int
) -> Application:
    """Give the application to a member of its department (``None`` to release it)."""
    if not _staff_may(actor, "procedures.process", application):
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
    if not _staff_may(actor, "procedures.view", application):
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
) -> None:
    """Record the move, save every changed field and announce it after commit."""
    from_status = application.status
    application.status = to_status
    if to_status in CLOSED_STATUSES:
        application.closed_at = now
    fields = [f.name for f in Application._meta.concrete_fields if not f.primary_key]
    application.save(update_fields=[f for f in fields if f not in ("version", "created_at")])
    Transition.objects.create(
        application=application,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        at=now,
        message=message,
        visible_to_applicant=rule.visible_to_applicant,
    )
    publish(
        f"procedures.application_{to_status}",
        application_id=application.pk,
        receipt_number=application.receipt_number or "",
        procedure=application.procedure.code,
        from_status=str(from_status),
        to_status=str(to_status),
        actor_id=getattr(actor, "pk", None),
        message=message if rule.visible_to_applicant else "",
        notify_applicant=rule.notify_applicant,
    )


# --- lists -----------------------------------------------------------------------------------


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
        found = found.filter(due_date__lt=_local_date(timezone.now())).exclude(
            status__in=[*CLOSED_STATUSES, Status.CORRECTION_REQUESTED]
        )
    if filters.assignee == UNASSIGNED:
        found = found.filter(assignee__isnull=True)
    elif filters.assignee is not None:
        found = found.filter(assignee=filters.assignee)
    if filters.text.strip():
        found = found.filter(search_key__contains=search_form(filters.text))
    return found.select_related("procedure", "assignee").order_by(
        F("due_date").asc(nulls_last=True), "submitted_at", "id"
    )


def _by_status(found: QuerySet[Application], status: str | Sequence[str] | None):
    if not status:
        return found
    return found.filter(status__in=[status] if isinstance(status, str) else list(status))
