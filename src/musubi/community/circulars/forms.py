"""Forms of the circular board: posting a circular, appointing and ending a leader.

The forms only parse what was typed; ``services`` and ``leaders`` decide what is allowed and
their errors are put back on the fields, so the page keeps everything the user entered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from musubi.community.circulars.leaders import Area, Jurisdiction
from musubi.community.circulars.models import LeaderRole, QuestionKind, area_name
from musubi.community.circulars.questions import MAX_SURVEY_QUESTIONS
from musubi.community.circulars.services import Draft, QuestionDraft
from musubi.platform.residents.models import District, Kumi

DEFAULT_DUE_DAYS = 7
CHECKBOXES_UP_TO = 24


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by ``platform.files`` when posting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items if item]


def area_choices(where: Jurisdiction) -> list[tuple[str, Any]]:
    """Targets the poster may choose, grouped by 区: a whole 区 (``d<id>``) or a 組 (``k<id>``)."""
    groups = []
    for district in District.objects.order_by("order"):
        whole = Area(district.pk)
        options = [(f"d{district.pk}", _("%(area)s（全体）") % {"area": area_name(district, None)})]
        options = options if where.covers(whole) else []
        for kumi in Kumi.objects.filter(district=district).order_by("number"):
            if where.covers(Area(district.pk, kumi.pk)):
                options.append((f"k{kumi.pk}", area_name(district, kumi)))
        if options:
            groups.append((area_name(district, None), options))
    return groups


def parse_area(value: str, kumi_district: dict[int, int]) -> Area | None:
    kind, number = value[:1], value[1:]
    if not number.isdigit():
        return None
    if kind == "d":
        return Area(int(number))
    if kind == "k" and int(number) in kumi_district:
        return Area(kumi_district[int(number)], int(number))
    return None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class PostForm(forms.Form):
    title_ja = forms.CharField(label=gettext_lazy("件名（日本語）"), max_length=200)
    title_en = forms.CharField(
        label=gettext_lazy("件名（英語・任意）"), max_length=200, required=False
    )
    body_ja = forms.CharField(label=gettext_lazy("本文（日本語）"), widget=forms.Textarea)
    body_en = forms.CharField(
        label=gettext_lazy("本文（英語・任意）"), widget=forms.Textarea, required=False
    )
    targets = forms.MultipleChoiceField(label=gettext_lazy("回覧先"))
    due_date = forms.DateField(
        label=gettext_lazy("期限"), widget=forms.DateInput(attrs={"type": "date"})
    )
    remind_days_before = forms.IntegerField(
        label=gettext_lazy("未読の世帯への督促（期限の何日前）"),
        min_value=0,
        max_value=30,
        initial=2,
    )
    attachments = MultipleFileField(
        label=gettext_lazy("添付ファイル（PDF・JPEG・PNG、複数可）"), required=False
    )
    ask_attendance = forms.BooleanField(label=gettext_lazy("出欠を尋ねる"), required=False)
    ask_approval = forms.BooleanField(label=gettext_lazy("賛否を尋ねる"), required=False)

    def __init__(self, *args: Any, where: Jurisdiction, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault(
            "due_date", timezone.localdate() + dt.timedelta(days=DEFAULT_DUE_DAYS)
        )
        super().__init__(*args, **kwargs)
        choices = area_choices(where)
        self.fields["targets"].choices = choices
        if sum(len(options) for _group, options in choices) <= CHECKBOXES_UP_TO:
            self.fields["targets"].widget = forms.CheckboxSelectMultiple(choices=choices)
        else:
            self.fields["targets"].widget = forms.SelectMultiple(
                choices=choices, attrs={"size": 12}
            )
        for n in range(1, MAX_SURVEY_QUESTIONS + 1):
            self._add_survey_question(n)

    def _add_survey_question(self, n: int) -> None:
        self.fields[f"q{n}_ja"] = forms.CharField(
            label=_("アンケート質問%(n)s（日本語・任意）") % {"n": n},
            max_length=200,
            required=False,
        )
        self.fields[f"q{n}_en"] = forms.CharField(
            label=_("アンケート質問%(n)s（英語・任意）") % {"n": n}, max_length=200, required=False
        )
        self.fields[f"q{n}_kind"] = forms.ChoiceField(
            label=_("アンケート質問%(n)sの答え方") % {"n": n},
            choices=[
                (QuestionKind.CHOICE, _("選択肢から選ぶ")),
                (QuestionKind.TEXT, _("短い文で答える")),
            ],
            initial=QuestionKind.CHOICE,
        )
        self.fields[f"q{n}_options_ja"] = forms.CharField(
            label=_("アンケート質問%(n)sの選択肢（日本語、1行に1つ）") % {"n": n},
            widget=forms.Textarea(attrs={"rows": 3}),
            required=False,
        )
        self.fields[f"q{n}_options_en"] = forms.CharField(
            label=_("アンケート質問%(n)sの選択肢（英語・任意、日本語と同じ順に1行に1つ）")
            % {"n": n},
            widget=forms.Textarea(attrs={"rows": 3}),
            required=False,
        )

    def survey_fields(self) -> list[list[forms.BoundField]]:
        """The survey fields grouped per question, for the template's fieldsets."""
        names = ("ja", "en", "kind", "options_ja", "options_en")
        return [
            [self[f"q{n}_{name}"] for name in names] for n in range(1, MAX_SURVEY_QUESTIONS + 1)
        ]

    def _questions(self) -> list[QuestionDraft]:
        data = self.cleaned_data
        found = []
        if data.get("ask_attendance"):
            found.append(QuestionDraft(QuestionKind.ATTENDANCE))
        if data.get("ask_approval"):
            found.append(QuestionDraft(QuestionKind.APPROVAL))
        for n in range(1, MAX_SURVEY_QUESTIONS + 1):
            texts = {"ja": data.get(f"q{n}_ja", ""), "en": data.get(f"q{n}_en", "")}
            ja_options = _lines(data.get(f"q{n}_options_ja", ""))
            if not (texts["ja"] or texts["en"] or ja_options):
                continue
            en_options = _lines(data.get(f"q{n}_options_en", ""))
            options = [
                {"ja": label, **({"en": en_options[i]} if i < len(en_options) else {})}
                for i, label in enumerate(ja_options)
            ]
            found.append(QuestionDraft(data.get(f"q{n}_kind"), texts, options))
        return found

    def draft(self) -> Draft:
        data = self.cleaned_data
        kumi_district = dict(Kumi.objects.values_list("pk", "district_id"))
        areas = [parse_area(value, kumi_district) for value in data["targets"]]
        return Draft(
            titles={"ja": data["title_ja"], "en": data["title_en"]},
            bodies={"ja": data["body_ja"], "en": data["body_en"]},
            targets=[a for a in areas if a is not None],
            due_date=data["due_date"],
            remind_days_before=data["remind_days_before"],
            questions=self._questions(),
        )


class AppointForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("宛名番号"), max_length=12)
    role = forms.ChoiceField(label=gettext_lazy("役職"), choices=LeaderRole.choices)
    district = forms.ModelChoiceField(
        label=gettext_lazy("区"), queryset=District.objects.order_by("order")
    )
    kumi = forms.IntegerField(
        label=gettext_lazy("組番号（組長のみ）"), min_value=1, max_value=999, required=False
    )
    term_start = forms.DateField(
        label=gettext_lazy("任期の開始"), widget=forms.DateInput(attrs={"type": "date"})
    )
    term_end = forms.DateField(
        label=gettext_lazy("任期の終了（任意）"),
        widget=forms.DateInput(attrs={"type": "date"}),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        district, number = data.get("district"), data.get("kumi")
        data["kumi_row"] = None
        if district is not None and number:
            data["kumi_row"] = Kumi.objects.filter(district=district, number=number).first()
            if data["kumi_row"] is None:
                self.add_error("kumi", _("この区にその番号の組はありません。"))
        return data


class EndTermForm(forms.Form):
    last_day = forms.DateField(
        label=gettext_lazy("任期の最終日"), widget=forms.DateInput(attrs={"type": "date"})
    )
