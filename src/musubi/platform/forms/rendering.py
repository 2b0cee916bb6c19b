"""Turning a FormSession into pages: bound fields for the step page, rows for the review page.

Templates stay simple: everything they show (labels in the active language, what to put in
each input, the error, where a value came from, which element an error summary links to) is
worked out here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from musubi.platform.forms import bank
from musubi.platform.forms.definition import Field, Step, localize
from musubi.platform.forms.fieldtypes import FIELD_TYPES, choices, file_choices
from musubi.platform.forms.validation import REF, input_name

if TYPE_CHECKING:
    from musubi.platform.forms.engine import FormSession, StepOutcome

PART_LABELS = {
    "name": {"family": gettext_lazy("氏"), "given": gettext_lazy("名")},
    "kana_name": {
        "family": gettext_lazy("氏（フリガナ）"),
        "given": gettext_lazy("名（フリガナ）"),
    },
    "bank_account": {
        "bank_code": gettext_lazy("金融機関コード（4桁）"),
        "branch_code": gettext_lazy("支店コード（3桁）"),
        "account_type": gettext_lazy("預金種目"),
        "number": gettext_lazy("口座番号（7桁）"),
        "holder": gettext_lazy("口座名義（カタカナ）"),
    },
}
AUTOCOMPLETE = {
    ("name", "family"): "family-name",
    ("name", "given"): "given-name",
    ("postal_code", ""): "postal-code",
    ("phone", ""): "tel",
}
INPUT_TYPES = {"phone": "tel", "number": "text"}
NUMERIC = {"postal_code", "number", "bank_code", "branch_code"}
WIDGET_HINTS = {
    "date": gettext_lazy("西暦（例：2026-11-27）または和暦（例：令和8年11月27日、R8.11.27）"),
    "kana": gettext_lazy("全角カタカナ（ひらがなで入力してもカタカナに直します）"),
    "kana_name": gettext_lazy("全角カタカナ（ひらがなで入力してもカタカナに直します）"),
    "postal_code": gettext_lazy("例：399-4231"),
    "phone": gettext_lazy("例：0265-83-2111、090-1234-5678"),
    "file": gettext_lazy("PDF・JPEG・PNG のファイル"),
}
FILE_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


@dataclass
class Part:
    name: str
    label: str
    value: str
    autocomplete: str = ""
    numeric: bool = False


@dataclass
class BoundRow:
    index: int
    legend: str
    fields: list[BoundField]
    locked: bool
    ref: str
    remove_action: str


@dataclass
class BoundField:
    """One field as the template needs it."""

    item: Field
    name: str
    label: str
    help: str
    hint: str
    required: bool
    template: str
    raw: Any
    error: str = ""
    source_label: str = ""
    read_only: bool = False
    display: str = ""
    report_url: str = ""
    parts: list[Part] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)
    rows: list[BoundRow] = field(default_factory=list)
    input_type: str = "text"
    autocomplete: str = ""
    numeric: bool = False
    can_add: bool = False
    can_remove: bool = True

    @property
    def anchor(self) -> str:
        """The element an error-summary link moves focus to: the first input of the field."""
        if self.read_only or self.item.widget == "group":
            return self.name
        if self.item.widget == "file":
            return f"{self.name}-upload"
        if self.parts:
            return self.parts[0].name
        if self.options and self.item.widget in ("choice", "multichoice"):
            return f"{self.name}-0"
        return self.name

    @property
    def described_by(self) -> str:
        ids = [f"{self.name}-help" if self.help or self.hint else "", self.error_id]
        return " ".join(i for i in ids if i)

    @property
    def error_id(self) -> str:
        return f"{self.name}-error" if self.error else ""


class Binder:
    """Builds BoundFields for one page of a session."""

    def __init__(self, session: FormSession, request: HttpRequest, step: Step, errors: dict):
        self.session = session
        self.request = request
        self.step = step
        self.errors = errors
        self.summary: list[tuple[str, str]] = []
        self._earlier_files: list[tuple[str, str]] | None = None

    @property
    def earlier_files(self) -> list[tuple[str, str]]:
        """The user's earlier files, asked for once per page."""
        if self._earlier_files is None:
            self._earlier_files = file_choices(self.session.user)
        return self._earlier_files

    def bind(self, item: Field, name: str, raw: Any) -> BoundField:
        kind = FIELD_TYPES[item.widget]
        bound = BoundField(
            item=item,
            name=name,
            label=localize(item.label),
            help=localize(item.help),
            hint=str(WIDGET_HINTS.get(item.widget, "")),
            required=item.required,
            template=kind.template,
            raw=raw,
            error=self.errors.get(name, ""),
            input_type=INPUT_TYPES.get(item.widget, "text"),
            autocomplete=AUTOCOMPLETE.get((item.widget, ""), item.options.get("autocomplete", "")),
            numeric=item.widget in NUMERIC,
        )
        if kind.parts:
            bound.parts = self._parts(item, name, raw or {})
        if item.widget in ("choice", "select", "multichoice"):
            bound.options = choices(item)
        if item.widget == "bank_account":
            bound.options = [(k, str(v)) for k, v in bank.ACCOUNT_TYPES.items()]
        if item.widget == "group":
            self._bind_rows(bound, raw or [])
        if item.widget == "file":
            bound.options = self.earlier_files
            bound.display = dict(self.earlier_files).get(str(raw or ""), "") if raw else ""
        if bound.error:
            self.summary.append((bound.anchor, bound.error))
        return bound

    def _parts(self, item: Field, name: str, raw: dict[str, Any]) -> list[Part]:
        labels = PART_LABELS.get(item.widget, {})
        return [
            Part(
                name=f"{name}-{part}",
                label=str(labels.get(part, part)),
                value=str(raw.get(part, "")),
                autocomplete=AUTOCOMPLETE.get((item.widget, part), ""),
                numeric=part in NUMERIC or (item.widget == "bank_account" and part == "number"),
            )
            for part in FIELD_TYPES[item.widget].parts
        ]

    def _bind_rows(self, bound: BoundField, rows: list[dict[str, Any]]) -> None:
        group = bound.item
        locked = self.session.prefilled.get(group.id)
        locked_rows = list(locked.value) if locked and locked.read_only else []
        for index, raw in enumerate(rows):
            ref = str(raw.get(REF, ""))
            is_locked = ref.isdigit() and int(ref) < len(locked_rows)
            legend = _("%(label)s（%(number)s件目）") % {"label": bound.label, "number": index + 1}
            children = self._row_fields(
                group, index, raw, locked_rows[int(ref)] if is_locked else None
            )
            action = f"remove:{group.id}:{index}"
            bound.rows.append(BoundRow(index, legend, children, is_locked, ref, action))
        if locked_rows:
            bound.source_label = str(locked.label)
        bound.can_add = group.max_items is None or len(rows) < group.max_items
        bound.can_remove = len(rows) > group.min_items

    def _row_fields(
        self, group: Field, index: int, raw: dict[str, Any], locked: dict[str, Any] | None
    ) -> list[BoundField]:
        bound = []
        for child in group.fields:
            name = input_name(group.id, index, child.id)
            one = self.bind(child, name, raw.get(child.id))
            if locked is not None and child.id in locked:
                one.read_only = True
                one.display = FIELD_TYPES[child.widget].display(locked[child.id], child)
            bound.append(one)
        return bound

    def top_level(self, item: Field) -> BoundField:
        session = self.session
        if session.read_only(item):
            return self._read_only(item)
        bound = self.bind(item, input_name(item.id), session.raw(item))
        source = session.source_of(item)
        if source and not bound.source_label:
            bound.source_label = str(source.label)
        return bound

    def _read_only(self, item: Field) -> BoundField:
        found = self.session.prefilled[item.id]
        bound = BoundField(
            item=item,
            name=input_name(item.id),
            label=localize(item.label),
            help="",
            hint="",
            required=False,
            template="forms/widgets/read_only.html",
            raw=None,
            source_label=str(found.label),
            read_only=True,
            display=FIELD_TYPES[item.widget].display(found.value, item),
            report_url=self._report_url(item),
        )
        return bound

    def _report_url(self, item: Field) -> str:
        if item.prefill_provider != "registry":
            return ""
        query = urlencode(
            {"attribute": item.prefill_attribute, "next": self.session.urls.step(self.step.id)}
        )
        return f"{reverse('forms:report_registry_error')}?{query}"


def _shown_on_page(session: FormSession, step: Step, item: Field) -> bool:
    """Visible now, or controlled by a field on this same page (decided when it is sent)."""
    if session.visible(item):
        return True
    return any(f.id == item.visible_if.field for f in step.fields)


def render_step(
    session: FormSession, request: HttpRequest, step: Step, outcome: StepOutcome | None
) -> HttpResponse:
    binder = Binder(session, request, step, outcome.errors if outcome else {})
    sections = [
        {
            "id": section.id,
            "title": localize(section.title),
            "help": localize(section.help),
            "fields": [
                binder.top_level(f) for f in section.fields if _shown_on_page(session, step, f)
            ],
        }
        for section in step.sections
    ]
    steps = list(session.definition.steps)
    index = steps.index(step)
    context = {
        "base_template": session.base_template,
        "form_title": localize(session.definition.title),
        "step_title": localize(step.title),
        "step_number": index + 1,
        "step_count": len(steps),
        "sections": sections,
        "summary": binder.summary,
        "notice": outcome.notice if outcome else "",
        "action_url": session.urls.step(step.id),
        "previous_url": session.urls.step(steps[index - 1].id) if index else "",
        "multipart": any(f.widget == "file" for f in step.fields),
        "file_accept": FILE_ACCEPT,
    }
    return render(request, "forms/step.html", context)


def _answer(session: FormSession, item: Field) -> dict[str, Any]:
    value = session.value(item.id)
    source = session.source_of(item)
    answer = {"label": localize(item.label), "text": "", "rows": [], "source": ""}
    if source:
        answer["source"] = str(source.label)
    if item.widget == "group":
        answer["rows"] = [
            [
                (localize(child.label), FIELD_TYPES[child.widget].display(row.get(child.id), child))
                for child in item.fields
                if child.id in row
            ]
            for row in value or []
        ]
        if not value:
            answer["text"] = _("なし")
    elif value in (None, "", []):
        answer["text"] = _("未入力")
    elif item.widget == "file":
        answer["text"] = dict(file_choices(session.user)).get(str(value), _("添付済み"))
    else:
        answer["text"] = FIELD_TYPES[item.widget].display(value, item)
    return answer


def render_review(session: FormSession, request: HttpRequest) -> HttpResponse:
    """Every answer, step by step, with a change link per step (GOV.UK's "check answers")."""
    problems = session.problems()
    steps = [
        {
            "id": step.id,
            "title": localize(step.title),
            "url": session.urls.step(step.id),
            "answers": [_answer(session, f) for f in step.fields if session.visible(f)],
            "incomplete": step.id in problems,
        }
        for step in session.definition.steps
    ]
    context = {
        "base_template": session.base_template,
        "form_title": localize(session.definition.title),
        "steps": steps,
        "incomplete": [s for s in steps if s["incomplete"]],
        "submit_url": session.urls.submit,
        "previous_url": session.urls.step(session.definition.steps[-1].id),
    }
    return render(request, "forms/review.html", context)
