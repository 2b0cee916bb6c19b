"""The built-in ``registry`` prefill provider: the applicant's own registry record.

Reads only through ``musubi.platform.residents.services`` (``resident_for``, ``residents_on``,
``load_city``). A resident whose account is not linked gets no prefill, and every field stays
an ordinary question.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.platform.forms.prefill import PrefillContext, PrefillProvider, prefill_provider
from musubi.platform.residents import services as residents

ADULT_AGE = 18
Resident = Any  # a registry record, obtained only through residents.services


def _name(person: Resident) -> dict[str, str]:
    return {"family": person.family_name, "given": person.given_name}


def _kana(person: Resident) -> dict[str, str]:
    return {"family": person.family_name_kana, "given": person.given_name_kana}


def _address(person: Resident) -> Any:
    return person.household.address if person.household_id else None


def _full_address(person: Resident) -> str:
    address = _address(person)
    if address is None:
        return ""
    city = residents.load_city()
    line = f"{city['prefecture']}{city['name']}{address.town}{address.banchi}"
    return f"{line} {address.building}".strip()


def _address_part(part: str) -> Callable[[Resident], str]:
    return lambda person: getattr(_address(person), part, "") if _address(person) else ""


def _phone(person: Resident) -> str:
    contact = person.contacts.filter(kind__in=("phone", "mobile")).order_by("pk").first()
    return contact.value if contact else ""


def _eighteenth_birthday(born: dt.date) -> dt.date:
    try:
        return born.replace(year=born.year + ADULT_AGE)
    except ValueError:  # born on 29 February
        return dt.date(born.year + ADULT_AGE, 3, 1)


def _children(person: Resident) -> list[dict[str, Any]]:
    """Members of the applicant's household living in the city today who are under 18."""
    if not person.household_id:
        return []
    today = timezone.localdate()
    members = (
        residents.residents_on(today)
        .filter(household_id=person.household_id)
        .exclude(pk=person.pk)
        .order_by("birthdate", "pk")
    )
    return [
        {
            "name": _name(child),
            "name_kana": _kana(child),
            "birthdate": child.birthdate.isoformat(),
            "sex": child.sex,
        }
        for child in members
        if _eighteenth_birthday(child.birthdate) > today
    ]


_READERS: dict[str, Callable[[Resident], Any]] = {
    "name": _name,
    "name_kana": _kana,
    "family_name": lambda person: person.family_name,
    "given_name": lambda person: person.given_name,
    "family_name_kana": lambda person: person.family_name_kana,
    "given_name_kana": lambda person: person.given_name_kana,
    "birthdate": lambda person: person.birthdate.isoformat(),
    "sex": lambda person: person.sex,
    "postal_code": _address_part("postal_code"),
    "address": _full_address,
    "town": _address_part("town"),
    "banchi": _address_part("banchi"),
    "building": _address_part("building"),
    "phone": _phone,
    "children": _children,
}


@prefill_provider("registry")
class RegistryPrefill(PrefillProvider):
    label = _("住民記録より")
    read_only = True
    attributes = {
        "name": _("氏名"),
        "name_kana": _("氏名（フリガナ）"),
        "family_name": _("氏"),
        "given_name": _("名"),
        "family_name_kana": _("氏（フリガナ）"),
        "given_name_kana": _("名（フリガナ）"),
        "birthdate": _("生年月日"),
        "sex": _("性別"),
        "postal_code": _("郵便番号"),
        "address": _("住所"),
        "town": _("町字"),
        "banchi": _("番地"),
        "building": _("建物名等（方書）"),
        "phone": _("電話番号"),
        "children": _("世帯の18歳未満の子ども"),
    }

    def values(self, context: PrefillContext, attributes: Iterable[str]) -> dict[str, Any]:
        person = context.resident or residents.resident_for(context.user)
        if person is None:
            return {}
        return {name: _READERS[name](person) for name in attributes if name in _READERS}
