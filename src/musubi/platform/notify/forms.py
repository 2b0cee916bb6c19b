"""Staff forms: authoring a template, composing a message (values, audience, options)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from musubi.platform.notify import audiences
from musubi.platform.notify.models import Template
from musubi.platform.notify.templating import check_template
from musubi.platform.residents.models import District

AUDIENCE_KINDS = [
    ("all", _("全世帯")),
    ("district", _("区")),
    ("kumi", _("組")),
    ("segment", _("対象者の条件")),
    ("residents", _("住民を指定（宛名番号）")),
    ("query", _("業務システムの抽出条件")),
]
SEGMENT_CHOICES = [
    ("child_under_3", _("3歳未満の子のいる世帯")),
    ("aged_65_plus", _("65歳以上の方")),
]


#: The languages a template form shows; a template may hold more (from an app's data file).
FORM_LANGUAGES = {"ja", "en"}


class TemplateForm(forms.Form):
    code = forms.SlugField(label=_("コード（英数字）"), max_length=60)
    name = forms.CharField(label=_("名称"), max_length=120)
    placeholders = forms.CharField(
        label=_("差し込み項目（カンマ区切り）"), required=False, max_length=500
    )
    subject_ja = forms.CharField(label=_("件名（日本語）"), max_length=200)
    body_ja = forms.CharField(label=_("本文（日本語）"), widget=forms.Textarea)
    subject_en = forms.CharField(label=_("件名（英語）"), max_length=200, required=False)
    body_en = forms.CharField(label=_("本文（英語）"), widget=forms.Textarea, required=False)
    emergency_approved = forms.BooleanField(label=_("緊急時の事前承認済み"), required=False)

    def __init__(self, *args, template: Template | None = None, **kwargs) -> None:
        """With ``template``: its edit form, the code and placeholders fixed (apps and messages
        refer to the one, and fill in the other by name)."""
        if template is not None:
            kwargs.setdefault("initial", _initial(template))
        super().__init__(*args, **kwargs)
        self.template = template
        if template is not None:  # apps fill the placeholders of their templates by name
            self.fields["code"].disabled = True
            self.fields["placeholders"].disabled = True

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if self.template is None and Template.objects.filter(code=code).exists():
            raise ValidationError(_("このコードは使われています。"))
        return code

    def clean_placeholders(self) -> list[str]:
        raw = self.cleaned_data.get("placeholders", "")
        names = [n.strip() for n in raw.replace("、", ",").split(",") if n.strip()]
        bad = [n for n in names if not n.isidentifier()]
        if bad:
            raise ValidationError(
                _("差し込み項目の名前は英数字と _ で書いてください：%(names)s")
                % {"names": ", ".join(bad)}
            )
        return names

    def changes(self) -> dict:
        """The template's fields as entered, the code aside."""
        subjects, bodies = self.texts()
        data = self.cleaned_data
        return {"name": data["name"], "subjects": subjects, "bodies": bodies,
                "placeholders": data["placeholders"],
                "emergency_approved": data.get("emergency_approved", False)}  # fmt: skip

    def texts(self) -> tuple[dict[str, str], dict[str, str]]:
        """Per language; an edited template keeps the languages this form does not show."""
        data = self.cleaned_data
        kept = self.template.subjects.keys() - FORM_LANGUAGES if self.template else ()
        subjects = {language: self.template.subjects[language] for language in kept}
        bodies = {language: self.template.bodies.get(language, "") for language in kept}
        subjects["ja"], bodies["ja"] = data["subject_ja"], data["body_ja"]
        if data.get("body_en") or data.get("subject_en"):
            subjects["en"], bodies["en"] = data.get("subject_en", ""), data.get("body_en", "")
        return subjects, bodies

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors:
            subjects, bodies = self.texts()
            check_template(subjects, bodies, data["placeholders"])
        return data


def _initial(template: Template) -> dict:
    texts = {
        f"{part}_{language}": text
        for part, by_language in (("subject", template.subjects), ("body", template.bodies))
        for language, text in by_language.items()
    }
    return texts | {
        "code": template.code,
        "name": template.name,
        "placeholders": ", ".join(template.placeholders),
        "emergency_approved": template.emergency_approved,
    }


class ComposeForm(forms.Form):
    audience_kind = forms.ChoiceField(
        label=_("宛先"), choices=AUDIENCE_KINDS, widget=forms.RadioSelect, initial="all"
    )
    district = forms.ModelChoiceField(
        label=_("区"), queryset=District.objects.all(), required=False, to_field_name="code"
    )
    kumi = forms.IntegerField(label=_("組番号"), min_value=1, required=False)
    segment = forms.ChoiceField(label=_("対象者の条件"), choices=SEGMENT_CHOICES, required=False)
    residents = forms.CharField(
        label=_("宛名番号（改行またはカンマ区切り）"), widget=forms.Textarea, required=False
    )
    query = forms.ChoiceField(label=_("業務システムの抽出条件"), choices=[], required=False)
    emergency = forms.BooleanField(label=_("緊急（全チャネルに一斉送信）"), required=False)
    needs_ack = forms.BooleanField(label=_("受取確認を求める"), required=False)
    renotify_after_minutes = forms.IntegerField(
        label=_("未確認の世帯に再通知する時間（分）"), min_value=1, required=False
    )
    scheduled_at = forms.DateTimeField(
        label=_("送信日時（空欄はすぐに送信）"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    publish_onsite = forms.BooleanField(
        label=_("お知らせページに掲載する"), required=False, initial=True
    )

    def __init__(self, *args, template: Template, may_emergency: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        for name in template.placeholders:
            self.fields[f"value_{name}"] = forms.CharField(label=name, max_length=500)
        self.order_fields([f"value_{n}" for n in template.placeholders])
        self.fields["query"].choices = [(q.name, q.label_ja) for q in audiences.queries()]
        if not may_emergency:
            del self.fields["emergency"]

    def values(self) -> dict[str, str]:
        return {n: self.cleaned_data[f"value_{n}"] for n in self.template.placeholders}

    def clean(self) -> dict:
        data = super().clean()
        needed = {"district": ["district"], "kumi": ["district", "kumi"], "segment": ["segment"],
                  "residents": ["residents"], "query": ["query"]}  # fmt: skip
        for name in needed.get(data.get("audience_kind"), []):
            if not data.get(name):
                self.add_error(name, _("この宛先では必須です。"))
        return data

    def audience(self) -> dict:
        """The audience description of a valid form."""
        data = self.cleaned_data
        kind = data["audience_kind"]
        audience = {"kind": kind}
        if kind in ("district", "kumi"):
            audience |= {"district": data["district"].code, "district_name": data["district"].name}
        audience |= {
            "kumi": {"kumi": data.get("kumi")},
            "segment": {"segment": data.get("segment")},
            "residents": {"residents": _numbers(data.get("residents", ""))},
            "query": {"name": data.get("query")},
        }.get(kind, {})
        return audience


def _numbers(text: str) -> list[str]:
    return [n.strip() for n in text.replace(",", "\n").splitlines() if n.strip()]
