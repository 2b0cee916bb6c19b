"""A resident's choice of channels (order and refusals) and whether their household is reached.

The choice is the ``NotifyPreference`` that ``fanout`` already honours: routine notices go to
the first channel in the order on which the person has a verified address, refused channels are
left out, **including for emergencies** (an emergency goes to every channel not refused, at
once). Paper and visits are planned per household by ``fanout`` when no member of it has a
digital channel left. Paper is not a preference: it is the city's own duty to reach every
household (KPI 100%), so it cannot be refused, and refusing every digital channel simply means
letters and visits.

Reach is computed with fanout's own functions, so what the page says is what a send would do.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from musubi.platform.notify import fanout
from musubi.platform.notify.models import NotifyPreference
from musubi.platform.residents import services as residents

LABELS: dict[str, Promise] = {
    "line": gettext_lazy("LINE"),
    "webpush": gettext_lazy("ブラウザー通知（Webプッシュ）"),
    "email": gettext_lazy("メール"),
    "sms": gettext_lazy("SMS（携帯電話）"),
    "onsite": gettext_lazy("お知らせページ"),
}


class PreferenceError(ValidationError):
    """A choice the hub cannot honour, said in the resident's language."""


@dataclass(frozen=True)
class Choice:
    """One resident's channels: digital codes best first, and the refused codes."""

    order: list[str]
    opted_out: list[str]


def digital_codes() -> list[str]:
    """The digital channels one person can be reached on, in the hub's default order."""
    return [c.code for c in fanout.person_channels()]


def label(code: str) -> str:
    return str(LABELS.get(code, code))


def current(resident_id: int) -> Choice:
    """The resident's saved choice laid over the hub's defaults (new channels go last)."""
    saved = NotifyPreference.objects.filter(resident_id=resident_id).first()
    codes = digital_codes()
    if saved is None:
        return Choice(codes, [])
    order = [c for c in saved.order if c in codes] + [c for c in codes if c not in saved.order]
    return Choice(order, [c for c in saved.opted_out if c in codes])


def check(choice: Choice) -> None:
    """Refuse an order that is not each digital channel once, and unknown channels."""
    codes = digital_codes()
    if sorted(choice.order) != sorted(codes):
        raise PreferenceError(_("順位は、チャネルごとに違う番号を選んでください。"))
    unknown = set(choice.opted_out) - set(codes)
    if unknown:
        raise PreferenceError(
            _("「%(code)s」という受け取り方はありません。") % {"code": sorted(unknown)[0]}
        )


def save(resident_id: int, choice: Choice) -> NotifyPreference:
    """Check and store the choice; the next fan-out uses it."""
    check(choice)
    preference, _created = NotifyPreference.objects.update_or_create(
        resident_id=resident_id,
        defaults={"order": choice.order, "opted_out": sorted(set(choice.opted_out))},
    )
    return preference


@dataclass(frozen=True)
class HouseholdReach:
    """The others in the household (names only) and whether a digital channel reaches it."""

    others: list[str]
    reached: bool


def household_reach(resident_id: int, household_id: int) -> HouseholdReach:
    """Reach is counted per household: one member with a usable digital channel is enough."""
    people = residents.living_residents().filter(household_id=household_id)
    channels = fanout.person_channels()
    known = fanout.addresses(people, channels)
    prefs = fanout.preferences(people)
    reached = any(fanout.choices_for(p.pk, channels, known, prefs.get(p.pk)) for p in people)
    others = [str(p) for p in people.order_by("id") if p.pk != resident_id]
    return HouseholdReach(others, reached)


def from_form(ranks: dict[str, str], refused: list[str]) -> Choice:
    """A choice from the page's fields: a rank (1…n) per digital channel, the refused codes."""
    try:
        numbers = {code: int(rank) for code, rank in ranks.items()}
    except ValueError:
        numbers = {}
    if not numbers or not set(numbers.values()) <= set(range(1, len(numbers) + 1)):
        raise PreferenceError(_("順位は、一覧から番号を選んでください。"))
    if len(set(numbers.values())) != len(numbers):
        raise PreferenceError(_("順位は、チャネルごとに違う番号を選んでください。"))
    choice = Choice(sorted(numbers, key=numbers.__getitem__), list(refused))
    check(choice)
    return choice
