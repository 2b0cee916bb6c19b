"""The resident's booking form: how many people and what for (the slot comes from the link)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from musubi.citizen.bookings.models import Resource


class BookingForm(forms.Form):
    party_size = forms.IntegerField(label=_("利用人数"), min_value=1, initial=1)
    purpose = forms.CharField(label=_("利用目的"), max_length=200, required=False)

    def __init__(self, *args: Any, resource: Resource, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        party = self.fields["party_size"]
        party.validators.append(MaxValueValidator(resource.max_party))
        party.widget.attrs["max"] = resource.max_party
        party.help_text = _("1〜%(max)s 人") % {"max": resource.max_party}
