"""Households on paper: a leader types in the sign-off sheet that comes back with the printout.

The printed circular goes round with a sign-off list; what comes back is one sheet with each
paper household's 回覧済み stamp and, when the circular asks questions, its answer slip. A
serving leader (or staff) records the whole sheet at once so that reads, tallies and the
unread list count these households too. Every row is checked first and either every row is
recorded or none, so a mistyped sheet never leaves half the households counted. Rules:

- only households the circular targets, inside the recorder's ``Jurisdiction``;
- only while the circular is published and up to its due date, like a household's own answer;
- a paper answer never replaces the household's own online answer (their word wins), while a
  later online answer replaces a paper one (``services.reply``);
- a row typed in by mistake can be taken back (``undo``), on the same terms, and only its paper
  entries go: what the household did online stays.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from musubi.community.circulars import notifications, oversight, services
from musubi.community.circulars.leaders import CITY_WIDE, Jurisdiction
from musubi.community.circulars.models import Circular, Question, QuestionKind, Read, Reply, Via
from musubi.community.circulars.questions import Option, check_answers, options_of
from musubi.community.circulars.services import CircularError
from musubi.platform.residents.models import Household

STAMP = re.compile(r"read-(\d{1,9})")
ANSWER = re.compile(r"answer-(\d{1,9})-(\d{1,9})")


@dataclass
class Entry:
    """One row of the returned sheet: the 回覧済み stamp and what the slip says, per question id."""

    household_id: int
    stamped: bool = False
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def answered(self) -> bool:
        return any(value.strip() for value in self.answers.values())


def entries_from(data: Mapping[str, Any]) -> list[Entry]:
    """The sheet's rows from the submitted fields ``read-<household>`` and
    ``answer-<household>-<question>``; rows with nothing in them are left out."""
    found: dict[int, Entry] = {}
    for name, value in data.items():
        if stamp := STAMP.fullmatch(name):
            found.setdefault(int(stamp[1]), Entry(int(stamp[1]))).stamped = bool(value)
        elif answer := ANSWER.fullmatch(name):
            entry = found.setdefault(int(answer[1]), Entry(int(answer[1])))
            entry.answers[answer[2]] = str(value)
    return [entry for entry in found.values() if entry.stamped or entry.answered]


def _check_open(circular: Circular) -> None:
    """Paper entries are taken on the same terms as online answers: published, not past due."""
    if circular.withdrawn:
        raise CircularError(_("この回覧は取り下げられました。"))
    if not services.open_for_replies(circular):
        raise CircularError(
            _("期限（%(due)s）を過ぎたため、紙の回覧の記録はできません。")
            % {"due": date_format(circular.due_date, "DATE_FORMAT")}
        )


def _refusal(household_id: int, targeted: set[int], mine: set[int]) -> str | None:
    if household_id not in targeted:
        return _("この世帯はこの回覧の対象ではありません。")
    if household_id not in mine:
        return _("担当していない区・組の世帯です。")
    return None


def _among(households: QuerySet[Household], ids: list[int]) -> set[int]:
    return set(households.filter(pk__in=ids).values_list("pk", flat=True))


def _check_rows(
    circular: Circular, entries: list[Entry], where: Jurisdiction
) -> tuple[dict[str, list[str]], dict[int, dict[str, str]]]:
    """(errors keyed by ``<household>`` or ``<household>-<question>``, checked answers)."""
    ids = [entry.household_id for entry in entries]
    targeted = _among(services.households(circular, CITY_WIDE), ids)
    mine = _among(services.households(circular, where), ids)
    locked = Reply.objects.select_for_update().filter(circular=circular, household_id__in=ids)
    online = {reply.household_id for reply in locked if not reply.on_paper}
    questions = list(circular.questions.all())
    errors: dict[str, list[str]] = {}
    checked: dict[int, dict[str, str]] = {}
    for entry in entries:
        key = str(entry.household_id)
        refusal = _refusal(entry.household_id, targeted, mine)
        if refusal is None and entry.answered and not questions:
            refusal = _("この回覧には回答する質問がありません。")
        elif refusal is None and entry.answered and entry.household_id in online:
            refusal = _("この世帯はウェブで回答済みです。紙の回答で上書きしません。")
        if refusal:
            errors[key] = [refusal]
        elif entry.answered:
            answers, problems = check_answers(questions, entry.answers)
            errors.update({f"{key}-{question}": [p] for question, p in problems.items()})
            checked[entry.household_id] = answers
    return errors, checked


def _stamp(circular: Circular, household_id: int, by: Any) -> bool:
    """A paper read, unless the household already counts as read (online or on paper)."""
    if Read.objects.filter(circular=circular, household_id=household_id).exists():
        return False
    Read.objects.create(circular=circular, household_id=household_id, via=Via.PAPER, recorded_by=by)
    return True


def _answer(circular: Circular, household_id: int, answers: dict[str, str], by: Any) -> bool:
    """The slip's answers as the household's paper reply (an unchanged slip changes nothing)."""
    current = Reply.objects.filter(circular=circular, household_id=household_id).first()
    if current is not None and current.answers == answers:
        return False
    values = {"answers": answers, "recorded_by": by, "answered_at": timezone.now()}
    if current is None:
        Reply.objects.create(
            circular=circular, household_id=household_id, via=Via.PAPER, answered_by=None, **values
        )
    elif not Reply.objects.filter(pk=current.pk, via=Via.PAPER).update(**values):
        raise IntegrityError("the household answered online meanwhile")
    return True


def record(circular: Circular, entries: list[Entry], *, by: Any, where: Jurisdiction) -> int:
    """Record the sheet (stamps and slip answers) as paper entries; how many households changed.

    Raises CircularError, per row (keyed by household id, or ``<household>-<question>`` for an
    answer), and then writes nothing at all.
    """
    _check_open(circular)
    if not entries:
        raise CircularError(_("記録する世帯の「回覧済み（紙）」または回答を入力してください。"))
    try:
        with transaction.atomic():
            errors, checked = _check_rows(circular, entries, where)
            if errors:
                raise CircularError(errors)
            changed = 0
            for entry in entries:
                stamped = _stamp(circular, entry.household_id, by)
                answered = entry.household_id in checked and _answer(
                    circular, entry.household_id, checked[entry.household_id], by
                )
                changed += stamped or answered
            return changed
    except IntegrityError:
        raise CircularError(
            _(
                "記録中に世帯がウェブで確認・回答しました。画面を開き直してもう一度記録してください。"
            )
        ) from None


def undo(circular: Circular, household_id: int, *, where: Jurisdiction) -> int:
    """Take back one household's paper entries (the 回覧済み stamp and the slip); how many rows
    went. Raises CircularError when the household is not the recorder's or has none."""
    _check_open(circular)
    refusal = _refusal(
        household_id,
        _among(services.households(circular, CITY_WIDE), [household_id]),
        _among(services.households(circular, where), [household_id]),
    )
    if refusal:
        raise CircularError(refusal)
    mine = {"circular": circular, "household_id": household_id, "via": Via.PAPER}
    with transaction.atomic():
        gone = Read.objects.filter(**mine).delete()[0] + Reply.objects.filter(**mine).delete()[0]
    if not gone:
        raise CircularError(_("この世帯には、取り消せる紙の記録がありません。"))
    return gone


# --- the sheet as the recording page shows it --------------------------------------------------


@dataclass
class SheetField:
    """One answer cell of a row: the question, the field's name, what is (or was) typed."""

    question: Question
    name: str
    options: list[Option]
    value: str
    errors: list[str]

    @property
    def is_text(self) -> bool:
        return self.question.kind == QuestionKind.TEXT


@dataclass
class SheetRow:
    row: oversight.HouseholdRow
    stamp_name: str
    stamped: bool
    fields: list[SheetField]
    errors: list[str]
    undo_url: str = ""  # set by the page when the row has paper entries to take back

    @property
    def has_paper_entries(self) -> bool:
        return self.row.read_on_paper or self.row.replied_on_paper

    @property
    def answered_online(self) -> bool:
        return self.row.reply is not None and not self.row.reply.on_paper


def _row(
    row: oversight.HouseholdRow,
    questions: list[Question],
    posted: Mapping[str, Any] | None,
    errors: Mapping[str, list[str]],
) -> SheetRow:
    key = row.household.pk
    earlier = row.reply.answers if row.replied_on_paper else {}
    fields = []
    for question in questions:
        name = f"answer-{key}-{question.pk}"
        value = posted.get(name, "") if posted is not None else earlier.get(str(question.pk), "")
        found = errors.get(f"{key}-{question.pk}", [])
        fields.append(SheetField(question, name, options_of(question), value, found))
    stamped = bool(posted.get(f"read-{key}")) if posted is not None else False
    return SheetRow(row, f"read-{key}", stamped, fields, list(errors.get(str(key), [])))


def sheet(
    circular: Circular,
    where: Jurisdiction,
    posted: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
) -> list[SheetRow]:
    """The paper households of ``where`` (and any household already recorded on paper), with
    what was typed (``posted``) or recorded before, and each row's problems."""
    table = oversight.rows(circular, where)
    on_paper = set(
        notifications.paper_households(services.households(circular, where)).values_list(
            "pk", flat=True
        )
    )
    questions = list(circular.questions.all())
    return [
        _row(row, questions, posted, errors or {})
        for row in table
        if row.household.pk in on_paper or row.replied_on_paper or row.read_on_paper
    ]


def general_errors(errors: Mapping[str, list[str]], rows: list[SheetRow]) -> list[str]:
    """The problems not shown on a row of the sheet: about the whole sheet (closed, nothing
    entered) or about a household the sheet does not list (outside the area, not targeted)."""
    shown = {str(r.row.household.pk) for r in rows}
    return [
        problem
        for key, problems in errors.items()
        if key.split("-")[0] not in shown
        for problem in problems
    ]
