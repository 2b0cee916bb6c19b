"""The staff form for issuing an API token."""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from musubi.platform.accounts.models import Department
from musubi.platform.accounts.permissions import REGISTRY
from musubi.platform.api.services import MAX_EXPIRY_DAYS


class IssueForm(forms.Form):
    name = forms.CharField(
        label=_("名称"),
        max_length=100,
        help_text=_("どのシステムが使うか分かる名前（例：基幹システム連携）"),
    )
    department = forms.ModelChoiceField(
        label=_("部署"), queryset=Department.objects.all(), to_field_name="code"
    )
    scopes = forms.MultipleChoiceField(
        label=_("スコープ"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    expires_days = forms.IntegerField(
        label=_("有効日数"),
        required=False,
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        help_text=_("空欄にすると無期限です。"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        english = get_language() == "en"
        self.fields["scopes"].choices = [
            (p.code, f"{p.code} — {p.label_en if english else p.label_ja}")
            for p in sorted(REGISTRY.values(), key=lambda p: p.code)
        ]
