"""The audit browser's filter form: every field optional, bad values reported per field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Criteria

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FilterForm(forms.Form):
    date_from = forms.DateField(label=_("開始日"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("終了日"), required=False, widget=DATE)
    actor = forms.CharField(label=_("利用者"), required=False, max_length=200)
    department = forms.CharField(label=_("部署コード"), required=False, max_length=40)
    action = forms.ChoiceField(
        label=_("操作"), required=False, choices=[("", _("すべて")), *Action.choices]
    )
    subject_type = forms.CharField(label=_("対象の種類"), required=False, max_length=60)
    subject_id = forms.CharField(label=_("対象ID"), required=False, max_length=64)
    request_id = forms.CharField(label=_("リクエストID"), required=False, max_length=64)
    purpose = forms.CharField(label=_("目的"), required=False, max_length=200)

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("終了日は開始日以降の日付にしてください。"))
        return cleaned

    def full_clean(self) -> None:
        """Validate, then point each field in error at its message for screen readers."""
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}-error"

    def criteria(self) -> Criteria:
        """The cleaned filters (CharFields are already stripped); call only on a valid form."""
        return Criteria(**self.cleaned_data)
