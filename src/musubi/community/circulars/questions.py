"""The questions a circular may ask households, and the checking of a household's answers.

出欠 and 賛否 have fixed options (their labels are UI text); survey questions are either a
choice among the poster's options or a short text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from musubi.community.circulars.models import Question, QuestionKind, in_language

FIXED_OPTIONS: dict[str, list[tuple[str, Promise]]] = {
    QuestionKind.ATTENDANCE: [("attend", _("出席")), ("absent", _("欠席"))],
    QuestionKind.APPROVAL: [("for", _("賛成")), ("against", _("反対")), ("abstain", _("棄権"))],
}
TEXT_MAX = 200
MAX_SURVEY_QUESTIONS = 3
MAX_OPTIONS = 8


@dataclass(frozen=True)
class Option:
    value: str
    label: str


def options_of(question: Question) -> list[Option]:
    """The options of a question in the active language (none for a text question)."""
    if question.kind in FIXED_OPTIONS:
        return [Option(value, str(label)) for value, label in FIXED_OPTIONS[question.kind]]
    return [Option(o["value"], in_language(o["labels"])) for o in question.options]


def label_of(question: Question, value: str) -> str:
    """An answer as shown to people: the option's label, or the text itself."""
    for option in options_of(question):
        if option.value == value:
            return option.label
    return value


def check_answers(questions: list[Question], given: dict[str, Any]) -> tuple[dict, dict]:
    """(answers keyed by question id, errors keyed by question id) for ``given``.

    Every choice question needs one of its options; text answers are optional and short.
    """
    answers, errors = {}, {}
    for question in questions:
        key = str(question.pk)
        value = str(given.get(key) or "").strip()
        if question.kind == QuestionKind.TEXT:
            if len(value) > TEXT_MAX:
                errors[key] = _("%(max)s文字以内で入力してください。") % {"max": TEXT_MAX}
            elif value:
                answers[key] = value
        elif value not in {o.value for o in options_of(question)}:
            errors[key] = _("「%(q)s」の答えを選んでください。") % {"q": question.text}
        else:
            answers[key] = value
    return answers, errors
