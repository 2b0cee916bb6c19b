"""Staff forms: a dataset's description and a resource upload."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from musubi.data.opendata import reference
from musubi.data.opendata.models import Group, Organization


class DatasetForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("組織"), queryset=Organization.objects.none(), empty_label=None
    )
    name = forms.SlugField(
        label=_("識別名"),
        max_length=100,
        help_text=_("URLとAPIで使う名前。英小文字・数字・「-」「_」。"),
    )
    title = forms.CharField(label=_("タイトル"), max_length=200)
    title_en = forms.CharField(label=_("英語タイトル"), max_length=200, required=False)
    description = forms.CharField(label=_("説明"), widget=forms.Textarea(attrs={"rows": 4}))
    description_en = forms.CharField(
        label=_("英語の説明"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    tags = forms.CharField(
        label=_("タグ"), required=False, help_text=_("カンマ（,）で区切って入力します。")
    )
    licence = forms.ChoiceField(label=_("ライセンス"))
    frequency = forms.ChoiceField(label=_("更新頻度"))
    groups = forms.ModelMultipleChoiceField(
        label=_("グループ"),
        queryset=Group.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    public = forms.BooleanField(label=_("公開する"), required=False, initial=True)

    def __init__(self, *args, organizations=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations or Organization.objects.none()
        self.fields["licence"].choices = [(k, v.label) for k, v in reference.licences().items()]
        self.fields["licence"].initial = reference.default_licence()
        frequencies = reference.frequencies().items()
        self.fields["frequency"].choices = [(k, v.label) for k, v in frequencies]
        self.fields["frequency"].initial = "irregular"

    def tag_list(self) -> list[str]:
        return [t for t in self.cleaned_data["tags"].replace("、", ",").split(",") if t.strip()]


class UploadForm(forms.Form):
    name = forms.CharField(label=_("リソース名"), max_length=200, required=False)
    description = forms.CharField(
        label=_("説明"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    file = forms.FileField(label=_("ファイル"))
