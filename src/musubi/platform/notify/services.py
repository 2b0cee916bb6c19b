"""Public API of the notification hub: compose, approve, send, acknowledge, and the due work.

Apps tell people things only through here: ``compose`` for notices to an audience,
``send_to_user`` for one person's message (e.g. an application's status). Nothing here talks
to a provider: a message becomes outbox rows (``fanout``) and the worker (``outbox``) sends
them, so a web request never waits on SMTP or LINE.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from musubi.platform.notify import audiences, fanout, outbox
from musubi.platform.notify.channels.base import Outcome
from musubi.platform.notify.models import (
    AckMethod,
    Acknowledgement,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Message,
    MessageState,
    Template,
)
from musubi.platform.notify.outbox import ACK_SALT
from musubi.platform.notify.templating import check_template, check_values, render
from musubi.platform.residents import services as residents

ACK_MAX_AGE = dt.timedelta(days=30)
OPEN_STATES = (DeliveryState.QUEUED, DeliveryState.SENDING, DeliveryState.FAILED_TEMPORARY)


def save_template(template: Template) -> Template:
    """Check the placeholders (the error names each culprit), then save."""
    check_template(template.subjects, template.bodies, template.placeholders)
    template.full_clean()
    template.save()
    return template


def edit_template(template: Template, changes: dict[str, Any], *, may_approve: bool) -> Template:
    """Change a template's name, texts or placeholders. Messages already composed keep their
    own text. A pre-approved emergency text changed by someone who may not approve emergencies
    loses its approval: the approval was given to the words, not to the template's code."""
    texts = ("subjects", "bodies", "placeholders")
    reworded = any(changes[name] != getattr(template, name) for name in texts)
    for name in ("name", *texts):
        setattr(template, name, changes[name])
    if may_approve:
        template.emergency_approved = changes["emergency_approved"]
    elif reworded:
        template.emergency_approved = False
    return save_template(template)


def render_all(template: Template, values: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Subject and body in every language the template has."""
    check_values(template.placeholders, values)
    return {
        language: {
            "subject": render(template.subjects.get(language, ""), values),
            "body": render(body, values),
        }
        for language, body in template.bodies.items()
    }


def audience_size(audience: dict) -> dict[str, int]:
    """How many residents and households an audience names now (the preview before sending)."""
    people = audiences.recipients(audience)
    return {
        "residents": people.count(),
        "households": people.values("household_id").distinct().count(),
    }


def needs_second_approver(template: Template | None, emergency: bool) -> bool:
    return bool(
        emergency
        and settings.NOTIFY_EMERGENCY_SECOND_APPROVER
        and not (template and template.emergency_approved)
    )


def compose(
    *,
    template: Template,
    values: dict[str, Any],
    audience: dict,
    created_by: Any,
    emergency: bool = False,
    needs_ack: bool = False,
    scheduled_at: dt.datetime | None = None,
    renotify_after_minutes: int | None = None,
    publish_onsite: bool = True,
    department: Any = None,
    source: str = "staff",
) -> Message:
    """Create a message; it is sent when due (now, unless scheduled) and approved if need be.

    Raises ValidationError for missing or extra values, a bad audience or a past send time.
    """
    audiences.recipients(audience)  # raises on a bad audience
    if scheduled_at and scheduled_at < timezone.now() - dt.timedelta(minutes=1):
        raise ValidationError(_("送信日時が過去です。"))
    message = Message(
        template=template,
        values=values,
        rendered=render_all(template, values),
        audience=audience,
        audience_label=audiences.describe(audience),
        emergency=emergency,
        needs_ack=needs_ack,
        renotify_after_minutes=renotify_after_minutes if needs_ack else None,
        publish_onsite=publish_onsite,
        scheduled_at=scheduled_at or timezone.now(),
        state=(
            MessageState.AWAITING_APPROVAL
            if needs_second_approver(template, emergency)
            else MessageState.SCHEDULED
        ),
        created_by=created_by,
        department=department,
        source=source,
    )
    message.save()
    if message.state == MessageState.SCHEDULED:
        _wake_worker(emergency)
    return message


def approve(message: Message, approver: Any) -> Message:
    """The second approver releases an emergency message; its author cannot approve it."""
    if message.state != MessageState.AWAITING_APPROVAL:
        raise ValidationError(_("このお知らせは承認待ちではありません。"))
    if approver.pk == message.created_by_id:
        raise ValidationError(_("作成者とは別の職員が承認してください。"))
    updated = Message.objects.filter(pk=message.pk, state=MessageState.AWAITING_APPROVAL).update(
        state=MessageState.SCHEDULED, approved_by=approver
    )
    if updated:
        _wake_worker(message.emergency)
    message.refresh_from_db()
    return message


def cancel(message: Message) -> Message:
    """Withdraw a message not yet sent."""
    updated = Message.objects.filter(
        pk=message.pk, state__in=[MessageState.AWAITING_APPROVAL, MessageState.SCHEDULED]
    ).update(state=MessageState.CANCELLED)
    if not updated:
        raise ValidationError(_("送信を始めたお知らせは取り消せません。"))
    message.refresh_from_db()
    return message


def _wake_worker(emergency: bool) -> None:
    """Queue the task that fans out due messages and drains the lane, once this commits."""
    from musubi.platform.notify import tasks

    task = tasks.dispatch_emergency if emergency else tasks.dispatch_routine
    if emergency and task.get_backend().supports_priority:
        task = task.using(priority=tasks.EMERGENCY_PRIORITY)
    transaction.on_commit(lambda: task.enqueue(), robust=True)


def fan_out(message: Message) -> int:
    """Write the outbox rows of a due message; how many were planned (0: not ours to write).

    The rows are committed in chunks, so workers send the first while the rest are written: in
    a whole-city warning that brought the first emails forward by up to a second. Until the
    last chunk the message stays FANNING_OUT, out of ``finish_sent``'s reach; a fan-out that
    stopped midway is taken up again once its hold lapses, and rows already written are skipped.
    """
    if not _hold_for_fan_out(message):
        return 0
    planned = fanout.plan(message, audiences.recipients(message.audience))
    if message.publish_onsite:
        planned.append(fanout.onsite())
    for start in range(0, len(planned), fanout.CHUNK):
        with transaction.atomic():
            fanout.save(message, planned[start : start + fanout.CHUNK])
            _fanning_out(message).update(fanning_out_until=timezone.now() + outbox.lease())
    _fanning_out(message).update(state=MessageState.SENDING, fanning_out_until=None)
    return len(planned)


def _fanning_out(message: Message) -> QuerySet:
    return Message.objects.filter(pk=message.pk, state=MessageState.FANNING_OUT)


def _hold_for_fan_out(message: Message) -> bool:
    """Take a due message, or one whose fan-out stopped midway (its hold lapsed)."""
    now = timezone.now()
    hold = now + outbox.lease()
    due = Message.objects.filter(pk=message.pk, state=MessageState.SCHEDULED)
    if due.update(state=MessageState.FANNING_OUT, fanned_out_at=now, fanning_out_until=hold):
        return True
    stalled = Message.objects.filter(_stalled(now), pk=message.pk)
    return bool(stalled.update(fanning_out_until=hold))


def _stalled(now: dt.datetime) -> Q:
    """A fan-out that stopped midway: nobody renewed its hold."""
    return Q(state=MessageState.FANNING_OUT, fanning_out_until__lt=now)


def due_messages(now: dt.datetime | None = None, *, emergency: bool | None = None) -> QuerySet:
    """Scheduled messages whose time has come, and fan-outs that stopped midway."""
    now = now or timezone.now()
    due = Message.objects.filter(
        Q(state=MessageState.SCHEDULED, scheduled_at__lte=now) | _stalled(now)
    )
    return due if emergency is None else due.filter(emergency=emergency)


def dispatch_due(*, emergency: bool | None = None) -> int:
    """Fan out every message whose time has come; the number of deliveries written."""
    return sum(fan_out(m) for m in due_messages(emergency=emergency).order_by("-emergency", "id"))


def finish_sent() -> int:
    """Mark messages whose deliveries are all settled as sent."""
    open_rows = Delivery.objects.filter(state__in=OPEN_STATES).values("message_id")
    return (
        Message.objects.filter(state=MessageState.SENDING)
        .exclude(pk__in=open_rows)
        .update(state=MessageState.SENT)
    )


def record_receipt(channel: str, provider_id: str, outcome: Outcome, detail: str) -> int:
    """A provider's later word on a message it took: delivered, or never delivered (the
    household then counts as unreached, and its fallback shows). Only sent rows change, so a
    late or repeated receipt changes nothing; the receipt is logged like an attempt."""
    if not provider_id:
        return 0
    with transaction.atomic():
        sent = Delivery.objects.filter(
            channel=channel, provider_id=provider_id, state=DeliveryState.SENT
        )
        ids = list(sent.values_list("id", flat=True))
        sent.filter(id__in=ids).update(state=outcome.value, detail=detail[:500])
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(delivery_id=i, outcome=outcome.value, detail=detail[:500]) for i in ids
        )
    return len(ids)


# --- one person: status messages from other apps --------------------------------------------


def send_to_user(
    user: Any, subject: str, body: str, *, language: str = "ja", source: str = "", url: str = ""
) -> Message | None:
    """Queue ``subject``/``body`` for one account holder by email; None if they have no address.

    The text is already in the person's language. Called inside a transaction, the message
    joins it (no savepoint): it commits or rolls back with what it tells of. No task is queued
    for it: the routine lane of ``musubi worker`` looks for due deliveries every second, and a
    task per personal message cost each request a write for nothing.
    """
    if not getattr(user, "email", ""):
        return None
    resident = residents.resident_for(user)
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        message = Message.objects.create(
            rendered={language: {"subject": subject, "body": body + (f"\n{url}" if url else "")}},
            audience={"kind": "user", "user": user.pk},
            audience_label="個人宛て",
            publish_onsite=False,
            state=MessageState.SENDING,
            fanned_out_at=now,
            source=source,
        )
        Delivery.objects.create(
            message=message,
            user=user,
            resident=resident,
            household_id=resident.household_id if resident else None,
            channel="email",
            address=user.email,
            language=language,
        )
    return message


# --- acknowledgement and re-notification ----------------------------------------------------


class BadToken(ValidationError):
    pass


def read_ack_token(token: str) -> tuple[Message, int]:
    """The message and household a "受け取りました" link stands for."""
    try:
        message_id, household_id = signing.loads(
            token, salt=ACK_SALT, max_age=ACK_MAX_AGE.total_seconds()
        )
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadToken(_("このリンクは無効か、期限が切れています。")) from exc
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise BadToken(_("このリンクは無効か、期限が切れています。"))
    return message, household_id


def acknowledge(message: Message, household_id: int, how: str = AckMethod.LINK) -> Acknowledgement:
    """Record that a household received the message (a second click changes nothing)."""
    try:
        with transaction.atomic():
            return Acknowledgement.objects.create(
                message=message, household_id=household_id, how=how
            )
    except IntegrityError:
        return Acknowledgement.objects.get(message=message, household_id=household_id)


def renotify_due(now: dt.datetime | None = None) -> int:
    """Re-send to unacknowledged households on a channel they have not been sent on yet."""
    now = now or timezone.now()
    written = 0
    candidates = Message.objects.filter(
        needs_ack=True,
        renotify_after_minutes__isnull=False,
        renotified_at__isnull=True,
        state__in=[MessageState.SENDING, MessageState.SENT],  # every first delivery written
    )
    for message in candidates:
        if message.fanned_out_at + dt.timedelta(minutes=message.renotify_after_minutes) > now:
            continue
        with transaction.atomic():
            if Message.objects.filter(pk=message.pk, renotified_at__isnull=True).update(
                renotified_at=now
            ):
                written += _renotify(message)
    return written


def _renotify(message: Message) -> int:
    """Unused channels for each unacknowledged household; with none left, the paper list."""
    acked = Acknowledgement.objects.filter(message=message).values("household_id")
    waiting = set(
        message.deliveries.filter(household__isnull=False)
        .exclude(household_id__in=acked)
        .values_list("household_id", flat=True)
    )
    people = residents.living_residents().filter(household_id__in=waiting)
    used = fanout.used_channels(message)
    fresh = [
        d
        for d in fanout.plan(message, people, every_channel=True)
        if d.channel not in used[d.household_id]
    ]
    covered = {d.household_id for d in fresh}
    fresh += [fanout.paper(h) for h in sorted(waiting - covered) if "paper" not in used[h]]
    return fanout.save(message, fresh)
