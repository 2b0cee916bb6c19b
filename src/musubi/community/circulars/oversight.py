"""What leaders and staff see of a circular: who has not read it, the tallies, the CSV.

Everything is limited to the households of the viewer's ``Jurisdiction`` (a 組長 sees their
組 only, even of a circular sent to the whole 区). Households are named as their head's name
and 組, the way a paper 回覧板 list names them. Callers write the audit row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from musubi.community.circulars.leaders import CITY_WIDE, Jurisdiction
from musubi.community.circulars.models import Circular, Question, QuestionKind, Read, Reply
from musubi.community.circulars.questions import Option, label_of, options_of
from musubi.community.circulars.services import households
from musubi.platform.residents.models import Household

AUDIT_PURPOSE = "回覧板の既読・回答の確認"


@dataclass
class HouseholdRow:
    household: Household
    reads: list[Read] = field(default_factory=list)
    reply: Reply | None = None

    @property
    def head_name(self) -> str:
        head = self.household.head
        if head is None:
            return _("（世帯主なし）世帯番号 %(n)s") % {"n": self.household.number}
        return str(head)

    @property
    def kumi_name(self) -> str:
        kumi = self.household.kumi
        return _("%(n)s組") % {"n": kumi.number} if kumi else "—"

    @property
    def read(self) -> bool:
        return bool(self.reads)

    @property
    def read_on_paper(self) -> bool:
        """Counted as read only through the 回覧済み stamp a leader copied from paper."""
        return self.read and all(r.on_paper for r in self.reads)

    @property
    def replied_on_paper(self) -> bool:
        return self.reply is not None and self.reply.on_paper


@dataclass
class Tally:
    """Per option: (option, households, of which on paper); text answers with their paper mark."""

    question: Question
    counts: list[tuple[Option, int, int]] = field(default_factory=list)
    texts: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class Summary:
    households: int
    read: int
    replied: int
    read_on_paper: int = 0
    replied_on_paper: int = 0


def _households(circular: Circular, where: Jurisdiction) -> QuerySet[Household]:
    return households(circular, where).select_related("head", "kumi", "district")


def unread_households(circular: Circular, where: Jurisdiction = CITY_WIDE) -> QuerySet[Household]:
    """Targeted households in ``where`` where no member has confirmed reading."""
    read = Read.objects.filter(circular=circular).values("household_id")
    return _households(circular, where).exclude(pk__in=read)


def rows(circular: Circular, where: Jurisdiction) -> list[HouseholdRow]:
    """One row per targeted household in ``where``, ordered by 組 and head's name (kana)."""
    found = {
        h.pk: HouseholdRow(h)
        for h in _households(circular, where).order_by("kumi__number", "head__kana_key", "number")
    }
    for read in Read.objects.filter(circular=circular, household_id__in=found).select_related(
        "resident"
    ):
        found[read.household_id].reads.append(read)
    for reply in Reply.objects.filter(circular=circular, household_id__in=found):
        found[reply.household_id].reply = reply
    return list(found.values())


def summary(table: list[HouseholdRow]) -> Summary:
    return Summary(
        households=len(table),
        read=sum(1 for row in table if row.read),
        replied=sum(1 for row in table if row.reply),
        read_on_paper=sum(1 for row in table if row.read_on_paper),
        replied_on_paper=sum(1 for row in table if row.replied_on_paper),
    )


def tallies(circular: Circular, table: list[HouseholdRow]) -> list[Tally]:
    """Per question: how many households chose each option (and how many of them answered on
    paper), or the texts they wrote (marked when copied from a paper slip)."""
    replies = [row.reply for row in table if row.reply]
    result = []
    for question in circular.questions.all():
        key = str(question.pk)
        given = [(r.answers[key], r.on_paper) for r in replies if key in r.answers]
        if question.kind == QuestionKind.TEXT:
            result.append(Tally(question, texts=given))
            continue
        counted = Counter(value for value, _paper in given)
        on_paper = Counter(value for value, paper in given if paper)
        counts = [(o, counted[o.value], on_paper[o.value]) for o in options_of(question)]
        result.append(Tally(question, counts))
    return result


def _sources(reads: list[Read]) -> str:
    return "・".join(dict.fromkeys(str(r.get_via_display()) for r in reads))


def _reader_name(read: Read) -> str:
    return str(read.resident) if read.resident else _("（紙の確認欄）")


def csv_table(circular: Circular, table: list[HouseholdRow]) -> list[list[str]]:
    """Header and one line per household: who, 組, read by whom when and how (ウェブ or 紙),
    how it answered, each answer."""
    questions = list(circular.questions.all())
    header = [_("世帯主"), _("組"), _("既読"), _("確認の経路"), _("確認した人"), _("確認日時")]
    header += [_("回答の経路")] + [q.text for q in questions]
    lines = [header]
    for row in table:
        first = row.reads[0] if row.reads else None
        answers = row.reply.answers if row.reply else {}
        line = [
            row.head_name,
            row.kumi_name,
            _("既読") if row.read else _("未読"),
            _sources(row.reads),
            "、".join(_reader_name(r) for r in row.reads),
            timezone.localtime(first.read_at).strftime("%Y-%m-%d %H:%M") if first else "",
            str(row.reply.get_via_display()) if row.reply else "",
        ]
        line += [label_of(q, answers.get(str(q.pk), "")) for q in questions]
        lines.append(line)
    return lines
