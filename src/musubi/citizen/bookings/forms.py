"""The resident's forms: booking a slot (how many people, what for, for which of their
groups), registering a group (団体登録) and registering as a facility user (利用者登録)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from musubi.citizen.bookings import groups, registrations
from musubi.citizen.bookings.models import Resource, UserGroup, UserRegistration


class BookingForm(forms.Form):
    party_size = forms.IntegerField(label=_("利用人数"), min_value=1, initial=1)
    purpose = forms.CharField(label=_("利用目的"), max_length=200, required=False)
    group = forms.ModelChoiceField(
        label=_("利用団体"),
        queryset=UserGroup.objects.none(),
        required=False,
        empty_label=_("個人として予約する"),
        help_text=_("代表者として登録した団体から選びます。承認された団体だけが予約できます。"),
    )

    def __init__(self, *args: Any, resource: Resource, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        party = self.fields["party_size"]
        party.validators.append(MaxValueValidator(resource.max_party))
        party.widget.attrs["max"] = resource.max_party
        party.help_text = _("1〜%(max)s 人") % {"max": resource.max_party}
        # Every group of the user is offered, so a pending one is refused with its reason.
        self.fields["group"].queryset = groups.groups_of(user)


class GroupForm(forms.ModelForm):
    class Meta:
        model = UserGroup
        fields = ["name", "phone", "member_count", "resident_percent"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = self.fields["member_count"]
        members.validators.append(MinValueValidator(1))
        members.widget.attrs["min"] = 1
        percent = self.fields["resident_percent"]
        percent.validators.append(MaxValueValidator(100))
        percent.widget.attrs["max"] = 100
        percent.help_text = _(
            "会員のうち駒ヶ根市内に住んでいる人の割合（0〜100）。%(percent)s％以上なら市内料金になります。"
        ) % {"percent": groups.rules()["resident_rate_min_percent"]}


class RegistrationForm(forms.ModelForm):
    """利用者登録: which fields are required is the rule in ``data/registration_rules.json``."""

    class Meta:
        model = UserRegistration
        fields = list(registrations.FIELDS)
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = name in registrations.required_fields()
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["address"].widget.attrs["autocomplete"] = "street-address"
