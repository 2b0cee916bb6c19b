"""Public API of the 電子回覧板: post and withdraw circulars, what a household sees, reads, replies.

Bad requests raise ``CircularError`` (a ValidationError: per field when it is about one field)
with messages in the user's language, and write nothing. Who may post where is decided by a
``leaders.Jurisdiction``; what was read and answered, per household, by ``oversight``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from musubi.community.circulars import notifications
from musubi.community.circulars.leaders import Area, Jurisdiction
from musubi.community.circulars.models import (
    Attachment,
    Circular,
    Leader,
    Question,
    QuestionKind,
    Read,
    Reply,
    State,
    Target,
    Via,
)
from musubi.community.circulars.questions import MAX_OPTIONS, MAX_SURVEY_QUESTIONS, check_answers
from musubi.platform.files import services as files
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import Household, Kumi, Resident, Status

TITLE_MAX = 120
BODY_MAX = 8000
REMIND_MAX_DAYS = 30
FILES_PURPOSE = "circulars"


class CircularError(ValidationError):
    """A circular, read or reply that cannot be accepted; the message says why."""


# --- posting --------------------------------------------------------------------------------


@dataclass
class QuestionDraft:
    kind: str
    texts: dict[str, str] = field(default_factory=dict)
    options: list[dict[str, str]] = field(default_factory=list)  # [{lang: label}]


@dataclass
class Draft:
    """What a leader or staff member typed on the posting page (or a demo script built)."""

    titles: dict[str, str]
    bodies: dict[str, str]
    targets: list[Area]
    due_date: dt.date
    remind_days_before: int = 2
    questions: list[QuestionDraft] = field(default_factory=list)


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _texts(texts: dict[str, str], limit: int) -> dict[str, str]:
    return {k: v.strip()[:limit] for k, v in texts.items() if k in languages() and v.strip()}


def _check_texts(draft: Draft, errors: dict[str, list[str]]) -> None:
    if not draft.titles.get("ja"):
        errors.setdefault("title_ja", []).append(_("日本語の件名を入力してください。"))
    if not draft.bodies.get("ja"):
        errors.setdefault("body_ja", []).append(_("日本語の本文を入力してください。"))
    for key, texts, limit in (("title", draft.titles, TITLE_MAX), ("body", draft.bodies, BODY_MAX)):
        for language, text in texts.items():
            if len(text) > limit:
                errors.setdefault(f"{key}_{language}", []).append(
                    _("%(max)s文字以内で入力してください。") % {"max": limit}
                )


def _check_dates(draft: Draft, errors: dict[str, list[str]]) -> None:
    if draft.due_date < timezone.localdate():
        errors.setdefault("due_date", []).append(_("期限が過去の日付です。"))
    if not 0 <= draft.remind_days_before <= REMIND_MAX_DAYS:
        errors.setdefault("remind_days_before", []).append(
            _("督促は期限の0〜%(max)s日前で指定してください。") % {"max": REMIND_MAX_DAYS}
        )


def _check_targets(draft: Draft, where: Jurisdiction, errors: dict[str, list[str]]) -> None:
    if not draft.targets:
        errors.setdefault("targets", []).append(_("回覧先の区または組を選んでください。"))
    kumi_district = dict(
        Kumi.objects.filter(pk__in=[a.kumi_id for a in draft.targets if a.kumi_id]).values_list(
            "pk", "district_id"
        )
    )
    for area in draft.targets:
        if area.kumi_id and kumi_district.get(area.kumi_id) != area.district_id:
            errors.setdefault("targets", []).append(_("組と区の組み合わせが正しくありません。"))
        elif not where.covers(area):
            errors.setdefault("targets", []).append(_("担当していない区・組には回覧できません。"))


def _check_questions(draft: Draft, errors: dict[str, list[str]]) -> None:
    survey = [q for q in draft.questions if q.kind in (QuestionKind.CHOICE, QuestionKind.TEXT)]
    if len(survey) > MAX_SURVEY_QUESTIONS:
        errors.setdefault("questions", []).append(
            _("アンケートの質問は%(max)s問までです。") % {"max": MAX_SURVEY_QUESTIONS}
        )
    for number, question in enumerate(draft.questions, start=1):
        if question.kind in (QuestionKind.CHOICE, QuestionKind.TEXT) and not question.texts.get(
            "ja"
        ):
            errors.setdefault("questions", []).append(
                _("質問%(n)sの日本語の文を入力してください。") % {"n": number}
            )
        if question.kind == QuestionKind.CHOICE and not 2 <= len(question.options) <= MAX_OPTIONS:
            errors.setdefault("questions", []).append(
                _("質問%(n)sの選択肢は2〜%(max)s個にしてください。")
                % {"n": number, "max": MAX_OPTIONS}
            )


def check_draft(draft: Draft, where: Jurisdiction) -> None:
    """Raise CircularError with every problem of ``draft`` (keyed by form field)."""
    draft.titles = _texts(draft.titles, TITLE_MAX + 1)
    draft.bodies = _texts(draft.bodies, BODY_MAX + 1)
    errors: dict[str, list[str]] = {}
    _check_texts(draft, errors)
    _check_dates(draft, errors)
    _check_targets(draft, where, errors)
    _check_questions(draft, errors)
    if errors:
        raise CircularError(errors)


def _posted_as(where: Jurisdiction, targets: list[Area]) -> Leader | None:
    """The leader seat that covers every target (the 区長's rather than a 組長's if both)."""
    for leader in sorted(where.leaders, key=lambda x: x.kumi_id is not None):
        area = Area(leader.district_id, leader.kumi_id)
        if all(area.contains(t) for t in targets):
            return leader
    return None


def _save_questions(circular: Circular, drafts: list[QuestionDraft]) -> None:
    for order, draft in enumerate(drafts, start=1):
        options = [
            {"value": str(i), "labels": labels} for i, labels in enumerate(draft.options, start=1)
        ]
        Question.objects.create(
            circular=circular,
            order=order,
            kind=draft.kind,
            texts=_texts(draft.texts, 200),
            options=options if draft.kind == QuestionKind.CHOICE else [],
        )


def post(draft: Draft, *, by: Any, where: Jurisdiction, uploads: list[Any] = ()) -> Circular:
    """Publish a circular to households in ``where`` and tell them through the hub.

    Attachments are checked by ``platform.files`` (PDF, JPEG, PNG; photos lose their location
    data); any problem raises CircularError and nothing is published.
    """
    check_draft(draft, where)
    try:
        files.check_total(uploads)
        inspected = [files.inspect_upload(upload) for upload in uploads]
    except files.FileRejected as refusal:
        raise CircularError({"attachments": [refusal.message]}) from refusal
    with transaction.atomic():
        circular = Circular.objects.create(
            titles=draft.titles,
            bodies=draft.bodies,
            posted_by=by,
            posted_as=None if where.everywhere else _posted_as(where, draft.targets),
            due_date=draft.due_date,
            remind_days_before=draft.remind_days_before,
        )
        Target.objects.bulk_create(
            Target(circular=circular, district_id=a.district_id, kumi_id=a.kumi_id)
            for a in dict.fromkeys(draft.targets)
        )
        _save_questions(circular, draft.questions)
        for item in inspected:
            stored = files.store_bytes(by, item.name, item.data, purpose=FILES_PURPOSE)
            Attachment.objects.create(circular=circular, file=stored)
        notifications.announce(circular)
    return circular


def may_withdraw(circular: Circular, user: Any, where: Jurisdiction) -> bool:
    """The poster may withdraw their circular; staff with ``circulars.post`` any circular."""
    return not circular.withdrawn and (where.everywhere or circular.posted_by_id == user.pk)


def withdraw(circular: Circular, *, by: Any, where: Jurisdiction) -> Circular:
    """Take a circular down: households no longer see it; reads and replies are kept."""
    if not may_withdraw(circular, by, where):
        raise CircularError(_("この回覧は取り下げられません。"))
    Circular.objects.filter(pk=circular.pk, state=State.PUBLISHED).update(
        state=State.WITHDRAWN, withdrawn_at=timezone.now(), withdrawn_by=by
    )
    circular.refresh_from_db()
    return circular


# --- which households a circular goes to -----------------------------------------------------


def target_filter(circular: Circular, prefix: str = "") -> Q:
    """A Q selecting households (``prefix``: the path to the household) the circular targets."""
    found = Q(pk__in=[])
    for target in circular.targets.all():
        if target.kumi_id is None:
            found |= Q(**{f"{prefix}district_id": target.district_id})
        else:
            found |= Q(**{f"{prefix}kumi_id": target.kumi_id})
    return found


def households(circular: Circular, where: Jurisdiction) -> QuerySet[Household]:
    """The households with someone living in them that the circular targets, within ``where``."""
    living = residents.living_residents().filter(
        target_filter(circular, "household__"), where.household_filter("household__")
    )
    return Household.objects.filter(pk__in=living.values("household_id"))


def circulars_overseen(where: Jurisdiction, user: Any) -> QuerySet[Circular]:
    """Circulars of ``where``'s areas (every circular for staff), and those ``user`` posted."""
    if where.everywhere:
        return Circular.objects.all()
    touching = Q(pk__in=[])
    for area in where.areas:
        touching |= Q(targets__district_id=area.district_id) & (
            Q(targets__kumi__isnull=True) | Q(targets__kumi_id=area.kumi_id)
            if area.kumi_id
            else Q()
        )
    return Circular.objects.filter(touching | Q(posted_by=user)).distinct()


# --- what a household sees ---------------------------------------------------------------------


def reader_for(user: Any) -> Resident | None:
    """The living resident with a household behind ``user``'s account, if any."""
    resident = residents.resident_for(user)
    if resident is None or resident.status != Status.ACTIVE or resident.household_id is None:
        return None
    return resident


def circulars_for(resident: Resident) -> QuerySet[Circular]:
    """The published circulars of the resident's household's 区 and 組, newest first."""
    household = resident.household
    seen = Q(targets__district_id=household.district_id, targets__kumi__isnull=True)
    if household.kumi_id:
        seen |= Q(targets__kumi_id=household.kumi_id)
    return Circular.objects.filter(seen, state=State.PUBLISHED).distinct()


def visible_circular(resident: Resident, pk: int) -> Circular:
    """One circular the resident's household may see; Circular.DoesNotExist otherwise."""
    return circulars_for(resident).get(pk=pk)


def household_reads(circular: Circular, household_id: int) -> list[Read]:
    """Who in the household confirmed reading, and when (first first)."""
    return list(
        Read.objects.filter(circular=circular, household_id=household_id).select_related("resident")
    )


def read_by_household(household_id: int) -> set[int]:
    """Ids of the circulars someone in the household has confirmed."""
    rows = Read.objects.filter(household_id=household_id).values_list("circular_id", flat=True)
    return set(rows)


def mark_read(circular: Circular, resident: Resident, user: Any) -> Read:
    """Record 確認しました for this member (a second confirmation changes nothing)."""
    if circular.withdrawn:
        raise CircularError(_("この回覧は取り下げられました。"))
    try:
        with transaction.atomic():
            return Read.objects.create(
                circular=circular, household_id=resident.household_id, resident=resident, user=user
            )
    except IntegrityError:
        return Read.objects.get(circular=circular, resident=resident)


def reply_of(circular: Circular, household_id: int) -> Reply | None:
    return Reply.objects.filter(circular=circular, household_id=household_id).first()


def open_for_replies(circular: Circular, today: dt.date | None = None) -> bool:
    """Replies are taken (and may be changed) up to and including the due date."""
    return not circular.withdrawn and (today or timezone.localdate()) <= circular.due_date


def reply(circular: Circular, resident: Resident, user: Any, given: dict[str, Any]) -> Reply:
    """The household's answer (replacing an earlier one, also one a leader copied from the paper
    slip: the household's own word wins); answering also confirms reading."""
    questions = list(circular.questions.all())
    if not questions:
        raise CircularError(_("この回覧には回答する質問がありません。"))
    if not open_for_replies(circular):
        raise CircularError(
            _("回答の期限（%(due)s）を過ぎたため、回答できません。")
            % {"due": date_format(circular.due_date, "DATE_FORMAT")}
        )
    answers, errors = check_answers(questions, given)
    if errors:
        raise CircularError(errors)
    with transaction.atomic():
        mark_read(circular, resident, user)
        found, _created = Reply.objects.update_or_create(
            circular=circular,
            household_id=resident.household_id,
            defaults={
                "answers": answers,
                "answered_by": resident,
                "answered_at": timezone.now(),
                "via": Via.WEB,
                "recorded_by": None,
            },
        )
    return found
