"""FormSession: one resident working through one form, step by step, saved on every step.

The caller (the try page here, the procedures app later) owns the URLs and the draft; the
session owns the rules: what is prefilled from where, what is read-only, what is visible,
what is valid, and what the final, normalised data is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker

from musubi.platform.forms import postal
from musubi.platform.forms.definition import Field, FormDefinition, Step, localize
from musubi.platform.forms.fieldtypes import store_file
from musubi.platform.forms.japanese import FieldError, clean_postal_code
from musubi.platform.forms.models import FormDraft
from musubi.platform.forms.prefill import PrefillContext, Prefilled, collect
from musubi.platform.forms.validation import (
    REF,
    StepResult,
    StepValidator,
    input_name,
    raw_from_post,
    raw_from_value,
    schema_message,
)

ACTION = "_action"
REVIEW = "_review"


class FormIncomplete(Exception):
    """``final_data`` found steps that are not answered correctly: step id → errors."""

    def __init__(self, problems: dict[str, dict[str, str]]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems

    @property
    def first_step(self) -> str:
        return next(iter(self.problems))


@dataclass
class StepOutcome:
    """What a POST to a step did: ``done`` (go to ``next_url``) or stay and show the page."""

    step: Step
    done: bool = False
    next_url: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    notice: str = ""


@dataclass(frozen=True)
class Urls:
    """Where the caller serves the form: a step, the review page, the final submit."""

    step: Callable[[str], str]
    review: str
    submit: str


class FormSession:
    """``FormSession(definition, user, draft, urls=Urls(...))`` — see services.py for the flow."""

    def __init__(
        self,
        definition: FormDefinition | Mapping[str, Any],
        user: Any,
        draft: FormDraft,
        *,
        urls: Urls,
        base_template: str = "ui/resident_base.html",
        prefill_resident: Any = None,
    ) -> None:
        if not isinstance(definition, FormDefinition):
            definition = FormDefinition.from_dict(definition)
        self.definition = definition
        self.user = user
        self.draft = draft
        self.urls = urls
        self.base_template = base_template
        sources = {f.id: f.prefill for f in definition.fields() if f.prefill}
        self.prefilled: dict[str, Prefilled] = collect(
            sources, PrefillContext(user, draft.form_key, prefill_resident)
        )
        self.validator = StepValidator(user, self.prefilled)
        self._apply_prefill_once()

    # --- state -----------------------------------------------------------------------------

    def _apply_prefill_once(self) -> None:
        """Copy each prefilled value into the draft the first time the form is opened."""
        fresh = {k: p for k, p in self.prefilled.items() if k not in self.draft.sources}
        for field_id, found in fresh.items():
            value = found.value
            if isinstance(value, list):  # group rows: remember which registry row each one is
                value = [
                    {**row, REF: str(i)} if found.read_only else row for i, row in enumerate(value)
                ]
            self.draft.data.setdefault(field_id, value)
            self.draft.sources[field_id] = found.provider
        if fresh:
            self.draft.save()

    def read_only(self, item: Field) -> bool:
        """A field whose value comes from an authoritative source (the registry) as is."""
        found = self.prefilled.get(item.id)
        return bool(found and found.read_only and item.widget != "group")

    def source_of(self, item: Field) -> Prefilled | None:
        """The provider a field's value still comes from (None once the resident changed it)."""
        found = self.prefilled.get(item.id)
        return found if found and self.draft.sources.get(item.id) == found.provider else None

    def value(self, field_id: str) -> Any:
        item = self.definition.find(field_id)
        if item is None:  # a row's own field, empty in that row
            return None
        if self.read_only(item):
            return self.prefilled[field_id].value
        return self.draft.data.get(field_id)

    def raw(self, item: Field) -> Any:
        """What the inputs of ``item`` show: what was typed last, else the saved value."""
        if item.id in self.draft.typed:
            return self.draft.typed[item.id]
        return raw_from_value(item, self.value(item.id))

    def visible(self, item: Field, lookup: Callable[[str], Any] | None = None) -> bool:
        if item.visible_if is None:
            return True
        return item.visible_if.holds((lookup or self.value)(item.visible_if.field))

    # --- one step --------------------------------------------------------------------------

    def _validate(self, step: Step, raws: Mapping[str, Any]) -> StepResult:
        editable = tuple(f for f in step.fields if not self.read_only(f))
        return self.validator.fields(editable, raws, lambda item: input_name(item.id), self.value)

    def submit_step(self, request: HttpRequest, step_id: str) -> StepOutcome:
        """Read the POST for ``step_id``: an add/remove/lookup action, or the answers themselves."""
        step = self._step(step_id)
        raws = {f.id: raw_from_post(f, input_name(f.id), request.POST) for f in step.fields}
        raws = {f.id: raws[f.id] for f in step.fields if not self.read_only(f)}
        refused = self._take_files(step, request, raws)
        action = request.POST.get(ACTION, "")
        if action:
            outcome = self._act(step, raws, action)
            outcome.errors.update(refused)
            return outcome
        result = self._validate(step, raws)
        result.errors.update(refused)
        if result.errors:
            self._keep_typed(step, raws)
            return StepOutcome(step, errors=result.errors)
        self._store(step, result)
        following = self.definition.next_step(step.id)
        self.draft.current_step = following.id if following else REVIEW
        self.draft.save()
        next_url = self.urls.step(following.id) if following else self.urls.review
        return StepOutcome(step, done=True, next_url=next_url)

    def _take_files(self, step: Step, request: HttpRequest, raws: dict[str, Any]) -> dict[str, str]:
        """Each file field's id: a new upload (stored now), else an earlier file, else the kept one.

        A refused upload leaves the field as it was and returns the refusal, keyed by input name.
        """
        refused: dict[str, str] = {}
        for item in step.fields:
            if item.widget != "file" or item.id not in raws:
                continue
            name = input_name(item.id)
            if request.POST.get(f"{name}-remove"):
                raws[item.id] = ""
            uploaded = request.FILES.get(f"{name}-upload")
            earlier = request.POST.get(f"{name}-earlier", "").strip()
            if uploaded is not None:
                try:
                    raws[item.id] = store_file(self.user, uploaded)
                except FieldError as exc:
                    refused[name] = exc.messages[0]
            elif earlier:
                raws[item.id] = earlier
        return refused

    def _store(self, step: Step, result: StepResult) -> None:
        for item in step.fields:
            self.draft.typed.pop(item.id, None)
            if self.read_only(item):
                self.draft.data[item.id] = self.prefilled[item.id].value
                continue
            if item.id in result.values:
                self.draft.data[item.id] = result.values[item.id]
            else:
                self.draft.data.pop(item.id, None)
            found = self.prefilled.get(item.id)
            if found and self.draft.data.get(item.id) != found.value and not found.read_only:
                self.draft.sources[item.id] = ""  # changed by the resident: no longer "from …"

    def _keep_typed(self, step: Step, raws: Mapping[str, Any]) -> None:
        self.draft.typed.update(raws)
        self.draft.current_step = step.id
        self.draft.save()

    def _act(self, step: Step, raws: dict[str, Any], action: str) -> StepOutcome:
        """Buttons that change the page without leaving it (work with no JavaScript)."""
        verb, _sep, target = action.partition(":")
        notice, errors = "", {}
        if verb == "add":
            notice = self._add_row(step, raws, target)
        elif verb == "remove":
            notice = self._remove_row(step, raws, target)
        elif verb == "lookup":
            notice, errors = self._lookup_postal(step, raws, target)
        self._keep_typed(step, raws)
        return StepOutcome(step, errors=errors, notice=notice)

    def _group_in(self, step: Step, group_id: str) -> Field | None:
        return next((f for f in step.fields if f.id == group_id and f.widget == "group"), None)

    def _add_row(self, step: Step, raws: dict[str, Any], group_id: str) -> str:
        group = self._group_in(step, group_id)
        if group is None:
            return ""
        rows = raws[group.id]
        if group.max_items is not None and len(rows) >= group.max_items:
            return _("%(label)sは%(limit)s件までです。") % {
                "label": localize(group.label),
                "limit": group.max_items,
            }
        rows.append(raw_from_value(group, [{}])[0])
        return _("%(label)sの入力欄を追加しました。") % {"label": localize(group.label)}

    def _remove_row(self, step: Step, raws: dict[str, Any], target: str) -> str:
        group_id, _sep, index = target.rpartition(":")
        group = self._group_in(step, group_id)
        if group is None or not index.isdigit() or int(index) >= len(raws[group.id]):
            return ""
        del raws[group.id][int(index)]
        return _("%(label)sの%(number)s件目を削除しました。") % {
            "label": localize(group.label),
            "number": int(index) + 1,
        }

    def _lookup_postal(
        self, step: Step, raws: dict[str, Any], field_id: str
    ) -> tuple[str, dict[str, str]]:
        item = next((f for f in step.fields if f.id == field_id), None)
        if item is None or item.widget != "postal_code":
            return "", {}
        name = input_name(item.id)
        try:
            code = clean_postal_code(raws.get(item.id, ""))
        except FieldError as exc:
            return "", {name: exc.messages[0]}
        found = postal.lookup(code)
        if not found:
            return "", {name: _("郵便番号 %(code)s の住所が見つかりません。") % {"code": code}}
        raws[item.id] = code
        target = item.options.get("address_field")
        if target in raws:
            raws[target] = found[0].text
        return _("郵便番号から住所を入力しました。番地などを続けて入力してください。"), {}

    def _step(self, step_id: str) -> Step:
        step = self.definition.step(step_id)
        if step is None:
            raise LookupError(step_id)
        return step

    # --- the whole form --------------------------------------------------------------------

    def resume_url(self) -> str:
        current = self.draft.current_step
        if current == REVIEW:
            return self.urls.review
        step = self.definition.step(current) or self.definition.steps[0]
        return self.urls.step(step.id)

    def problems(self) -> dict[str, dict[str, str]]:
        """Step id → errors, re-checking every saved answer as if it had just been typed."""
        return _errors_of(self._rechecked())

    def _rechecked(self) -> Iterator[tuple[Step, StepResult]]:
        for step in self.definition.steps:
            raws = {f.id: raw_from_value(f, self.draft.data.get(f.id)) for f in step.fields}
            yield step, self._validate(step, raws)

    def final_data(self) -> dict[str, Any]:
        """The validated, normalised answers without hidden fields; raises ``FormIncomplete``.

        Each step is checked once, its errors and its values taken from the same pass (every
        API submission comes through here).
        """
        checked = list(self._rechecked())
        problems = _errors_of(checked)
        if problems:
            raise FormIncomplete(problems)
        data: dict[str, Any] = {}
        for step, result in checked:
            data.update(result.values)
            for item in step.fields:
                if self.read_only(item) and self.visible(item):
                    data[item.id] = self.prefilled[item.id].value
        data = _without_refs(data)
        self._check_document(data)
        return data

    def _check_document(self, data: dict[str, Any]) -> None:
        """The whole document against the schema (e.g. ``const``, ``additionalProperties``).

        ``required`` was already enforced field by field, where visibility is known (a
        hidden field, top-level or in a row, is not required), so it is not re-checked here.
        """
        validator = Draft202012Validator(self.definition.schema, format_checker=FormatChecker())
        problems: dict[str, dict[str, str]] = {}
        for error in validator.iter_errors(data):
            if error.validator == "required":
                continue
            field_id = str(error.path[0]) if error.path else ""
            item = self.definition.find(field_id)
            step = self.definition.step_of(field_id) if item else self.definition.steps[0]
            problems.setdefault(step.id, {})[input_name(field_id or "form")] = schema_message(
                error, item
            )
        if problems:
            raise FormIncomplete(problems)

    # --- pages (see rendering.py) ----------------------------------------------------------

    def render_step(
        self, request: HttpRequest, step_id: str, outcome: StepOutcome | None = None
    ) -> HttpResponse:
        from musubi.platform.forms.rendering import render_step

        return render_step(self, request, self._step(step_id), outcome)

    def review(self, request: HttpRequest) -> HttpResponse:
        from musubi.platform.forms.rendering import render_review

        return render_review(self, request)


def _errors_of(checked: Iterable[tuple[Step, StepResult]]) -> dict[str, dict[str, str]]:
    return {step.id: result.errors for step, result in checked if result.errors}


def _without_refs(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: [{k: v for k, v in row.items() if k != REF} for row in value]
        if isinstance(value, list) and value and isinstance(value[0], dict)
        else value
        for key, value in data.items()
    }
