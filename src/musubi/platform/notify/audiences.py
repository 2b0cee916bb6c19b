"""Who a message goes to: an audience description (JSON, stored on the message) → residents.

Kinds: ``all`` households, a ``district`` (区) or ``kumi`` (組), a ``segment`` (households with
a child under 3, residents aged 65+), an explicit list of ``residents`` (宛名番号), and a
``query`` an app registered by name (later: a hazard zone). Recipients come from the registry's
public services; the hub never reads another app's tables of its own accord.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from musubi.platform.residents import services as residents
from musubi.platform.residents.models import Resident

Query = Callable[[], QuerySet[Resident]]


@dataclass(frozen=True)
class NamedQuery:
    name: str
    label_ja: str
    label_en: str
    query: Query


_QUERIES: dict[str, NamedQuery] = {}
SEGMENT_LABELS = {
    "child_under_3": ("3歳未満の子のいる世帯", "Households with a child under 3"),
    "aged_65_plus": ("65歳以上の方", "Residents aged 65 or over"),
}
SEGMENTS = tuple(SEGMENT_LABELS)


def register_query(name: str, label_ja: str, label_en: str) -> Callable[[Query], Query]:
    """Decorator for an app-supplied audience: a function returning the residents to notify."""

    def decorate(func: Query) -> Query:
        _QUERIES[name] = NamedQuery(name, label_ja, label_en, func)
        return func

    return decorate


def queries() -> list[NamedQuery]:
    return sorted(_QUERIES.values(), key=lambda q: q.name)


def _years_ago(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _segment(name: str) -> QuerySet[Resident]:
    living = residents.living_residents()
    today = timezone.localdate()
    if name == "child_under_3":
        young = living.filter(birthdate__gt=_years_ago(today, 3))
        return living.filter(household__in=young.values("household"))
    return living.filter(birthdate__lte=_years_ago(today, 65))


def _listed(numbers: list[str]) -> QuerySet[Resident]:
    found = residents.living_residents().filter(number__in=numbers)
    missing = sorted(set(numbers) - set(found.values_list("number", flat=True)))
    if missing:
        raise ValidationError(
            _("宛名番号 %(numbers)s の住民は見つかりません。") % {"numbers": ", ".join(missing)}
        )
    return found


def recipients(audience: dict) -> QuerySet[Resident]:
    """The living residents ``audience`` names; a ValidationError says what is wrong with it."""
    kind = audience.get("kind")
    living = residents.living_residents()
    if kind == "all":
        return living
    if kind == "district":
        return living.filter(household__district__code=_required(audience, "district"))
    if kind == "kumi":
        return living.filter(
            household__kumi__district__code=_required(audience, "district"),
            household__kumi__number=_required(audience, "kumi"),
        )
    if kind == "segment" and audience.get("segment") in SEGMENTS:
        return _segment(audience["segment"])
    if kind == "residents" and isinstance(audience.get("residents"), list):
        return _listed([str(n) for n in audience["residents"]])
    if kind == "query" and audience.get("name") in _QUERIES:
        return _QUERIES[audience["name"]].query()
    raise ValidationError(_("宛先の指定が正しくありません。"))


def _required(audience: dict, key: str) -> str:
    value = audience.get(key)
    if value in (None, ""):
        raise ValidationError(_("宛先に「%(key)s」がありません。") % {"key": key})
    return value


def describe(audience: dict, language: str = "ja") -> str:
    """A short label for lists and the audit trail, in Japanese or English."""
    kind = audience.get("kind")
    district = audience.get("district", "")
    if language == "en":
        district = str(district).title()
    elif audience.get("district_name"):
        district = audience["district_name"]
    query = _QUERIES.get(audience.get("name", ""))
    labels = {
        "all": ("全世帯", "All households"),
        "district": (f"{district}区", f"{district} district"),
        "kumi": (f"{district}{audience.get('kumi')}組", f"{district} kumi {audience.get('kumi')}"),
        "segment": SEGMENT_LABELS.get(audience.get("segment", ""), ("", "")),
        "residents": (
            f"指定した住民（{len(audience.get('residents') or [])}人）",
            f"Listed residents ({len(audience.get('residents') or [])})",
        ),
        "query": (query.label_ja, query.label_en) if query else ("", ""),
        "user": ("個人宛て", "One person"),
    }
    ja, en = labels.get(kind, ("", ""))
    return en if language == "en" else ja
