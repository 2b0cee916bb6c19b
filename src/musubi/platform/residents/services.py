"""Public API of the resident registry: the one write path for changes, and who lived where when.

Every change (転入, 転出, 転居, 出生, 死亡, 世帯変更) writes a ResidenceEvent with its effective
date, updates the current state, and publishes ``residents.<event>`` after commit. Bad
requests raise ``RegistryError`` with a message in the user's language and write nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from musubi.platform.events.services import publish
from musubi.platform.residents import codes
from musubi.platform.residents.models import (
    LEAVING_EVENTS,
    AccountLink,
    Address,
    ContactKind,
    ContactPoint,
    District,
    EventKind,
    Household,
    Kumi,
    LinkMethod,
    Relationship,
    ResidenceEvent,
    Resident,
    Sex,
    Status,
)
from musubi.platform.residents.text import address_form, name_key


class RegistryError(ValidationError):
    """A registry change that cannot be made as asked; the message says why."""


# --- the city -----------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _read_city(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_city() -> dict[str, Any]:
    """The municipality's facts from ``settings.CITY_FILE`` (read once per process)."""
    return _read_city(Path(settings.CITY_FILE))


def ensure_districts() -> dict[str, int]:
    """Create the 区 and their 組 from the city file; running it again changes nothing."""
    city = load_city()
    synthetic = city.get("synthetic", {}).get("districts", {})
    for order, item in enumerate(city["districts"], start=1):
        district, _created = District.objects.update_or_create(
            code=item["code"],
            defaults={
                "name": item["name"],
                "name_en": item["name_en"],
                "area": item["area"],
                "order": order,
            },
        )
        wanted = range(1, synthetic.get(item["code"], {}).get("kumi", 0) + 1)
        existing = set(district.kumi.values_list("number", flat=True))
        Kumi.objects.bulk_create(
            [Kumi(district=district, number=n) for n in wanted if n not in existing]
        )
    return {"districts": District.objects.count(), "kumi": Kumi.objects.count()}


# --- numbers and places ---------------------------------------------------------------------


def _next_number(model: type[Resident] | type[Household], width: int) -> str:
    highest = model.objects.aggregate(top=Max("number"))["top"]
    return str(int(highest or 0) + 1).zfill(width)


def next_resident_number() -> str:
    return _next_number(Resident, 10)


def next_household_number() -> str:
    return _next_number(Household, 8)


def create_address(
    *,
    district: District,
    postal_code: str,
    town: str,
    banchi: str,
    building: str = "",
    kumi: Kumi | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Address:
    if kumi is not None and kumi.district_id != district.pk:
        raise RegistryError(
            _("組 %(kumi)s は区 %(district)s に属していません。")
            % {"kumi": kumi, "district": district}
        )
    return Address.objects.create(
        district=district,
        kumi=kumi,
        postal_code=postal_code,
        town=town,
        banchi=banchi,
        building=building,
        latitude=latitude,
        longitude=longitude,
    )


def new_household(address: Address) -> Household:
    """An empty household at ``address``; its head is set by the first 世帯主 who joins."""
    return Household.objects.create(
        number=next_household_number(),
        address=address,
        district=address.district,
        kumi=address.kumi,
    )


# --- validation shared by every change ---------------------------------------------------


def _today() -> dt.date:
    return timezone.localdate()


def _check_not_future(day: dt.date, label: str) -> None:
    if day > _today():
        raise RegistryError(
            _("%(label)s（%(day)s）が未来の日付です。") % {"label": label, "day": day}
        )


def _check_after_history(resident: Resident, day: dt.date) -> None:
    latest = resident.events.order_by("-effective_on").values_list("effective_on", flat=True)
    last = latest.first()
    if last is not None and day < last:
        raise RegistryError(
            _("異動日 %(day)s は最後の異動（%(last)s）より前です。") % {"day": day, "last": last}
        )


def _check_active(resident: Resident) -> None:
    if resident.status == Status.MOVED_OUT:
        raise RegistryError(_("%(name)s さんは既に転出しています。") % {"name": resident})
    if resident.status == Status.DECEASED:
        raise RegistryError(
            _("%(name)s さんは既に死亡として記録されています。") % {"name": resident}
        )


def _check_joinable(household: Household, relationship: str, resident: Resident | None) -> None:
    if relationship not in Relationship.values:
        raise RegistryError(_("続柄「%(value)s」は使えません。") % {"value": relationship})
    head = household.head
    has_head = head is not None and head.status == Status.ACTIVE and head != resident
    if relationship == Relationship.HEAD and has_head:
        raise RegistryError(
            _("世帯 %(number)s には既に世帯主がいます。") % {"number": household.number}
        )
    if relationship != Relationship.HEAD and not has_head:
        raise RegistryError(
            _("世帯 %(number)s には世帯主がいません。先に世帯主を登録してください。")
            % {"number": household.number}
        )


def _check_person(person: PersonDetails) -> None:
    _check_not_future(person.birthdate, _("生年月日"))
    if person.sex not in Sex.values:
        raise RegistryError(_("性別コード「%(value)s」は使えません。") % {"value": person.sex})
    if not codes.is_country(person.nationality):
        raise RegistryError(
            _("国籍コード「%(value)s」は使えません。") % {"value": person.nationality}
        )
    if not codes.is_language(person.preferred_language):
        raise RegistryError(
            _("言語コード「%(value)s」は使えません。") % {"value": person.preferred_language}
        )


# --- changes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonDetails:
    """What the registry records about a person who is added (転入 or 出生)."""

    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birthdate: dt.date
    sex: str
    nationality: str = "JP"
    preferred_language: str = "ja"


def _record(resident: Resident, kind: EventKind, on: dt.date, note: str = "") -> ResidenceEvent:
    household = resident.household
    event = ResidenceEvent.objects.create(
        resident=resident,
        kind=kind,
        effective_on=on,
        household=household,
        address=household.address if household else None,
        relationship=resident.relationship,
        note=note,
    )
    return event


def _announce(name: str, resident: Resident, on: dt.date) -> None:
    publish(
        f"residents.{name}",
        resident_id=resident.pk,
        household_id=resident.household_id,
        effective_on=on.isoformat(),
    )


def _add_person(
    person: PersonDetails, household: Household, relationship: str, kind: EventKind, on: dt.date
) -> Resident:
    resident = Resident.objects.create(
        number=next_resident_number(),
        household=household,
        relationship=relationship,
        **person.__dict__,
    )
    if relationship == Relationship.HEAD:
        Household.objects.filter(pk=household.pk).update(head=resident)
        household.head = resident
    _record(resident, kind, on)
    return resident


@transaction.atomic
def move_in(
    person: PersonDetails, *, household: Household, relationship: str, on: dt.date
) -> Resident:
    """転入: a person from outside the city joins ``household`` on ``on``."""
    _check_person(person)
    _check_not_future(on, _("転入日"))
    if on < person.birthdate:
        raise RegistryError(_("転入日が生年月日より前です。"))
    _check_joinable(household, relationship, None)
    resident = _add_person(person, household, relationship, EventKind.MOVE_IN, on)
    _announce("moved_in", resident, on)
    return resident


@transaction.atomic
def register_birth(
    person: PersonDetails, *, household: Household, relationship: str = Relationship.CHILD
) -> Resident:
    """出生: a baby is registered in ``household``, effective on the birthdate."""
    _check_person(person)
    _check_joinable(household, relationship, None)
    resident = _add_person(person, household, relationship, EventKind.BIRTH, person.birthdate)
    _announce("birth_registered", resident, person.birthdate)
    return resident


def _leave(resident: Resident, kind: EventKind, status: Status, on: dt.date, note: str) -> None:
    _check_active(resident)
    _check_not_future(on, _("異動日"))
    _check_after_history(resident, on)
    _record(resident, kind, on, note)
    resident.status = status
    resident.save(update_fields=["status"])
    Household.objects.filter(head=resident).update(head=None)


@transaction.atomic
def move_out(resident: Resident, *, on: dt.date, destination: str = "") -> None:
    """転出: the person leaves the city; if they were 世帯主 the household awaits a new head."""
    _leave(resident, EventKind.MOVE_OUT, Status.MOVED_OUT, on, destination)
    _announce("moved_out", resident, on)


@transaction.atomic
def register_death(resident: Resident, *, on: dt.date) -> None:
    """死亡: recorded on the date of death, which cannot precede birth or lie in the future."""
    if on < resident.birthdate:
        raise RegistryError(_("死亡日が生年月日より前です。"))
    _leave(resident, EventKind.DEATH, Status.DECEASED, on, "")
    _announce("death_registered", resident, on)


@transaction.atomic
def relocate(household: Household, *, address: Address, on: dt.date) -> list[Resident]:
    """転居: the whole household moves to ``address`` within the city."""
    _check_not_future(on, _("転居日"))
    members = list(household.members.filter(status=Status.ACTIVE))
    if not members:
        raise RegistryError(_("世帯 %(number)s に住民がいません。") % {"number": household.number})
    if address.pk == household.address_id:
        raise RegistryError(_("転居先が現在の住所と同じです。"))
    for member in members:
        _check_after_history(member, on)
    household.address = address
    household.district = address.district
    household.kumi = address.kumi
    household.save(update_fields=["address", "district", "kumi"])
    for member in members:
        member.household = household
        _record(member, EventKind.RELOCATE, on)
        _announce("relocated", member, on)
    return members


@transaction.atomic
def change_household(
    resident: Resident, *, household: Household, relationship: str, on: dt.date
) -> None:
    """世帯変更: the person joins another household (or becomes 世帯主 of a new one)."""
    _check_active(resident)
    _check_not_future(on, _("異動日"))
    _check_after_history(resident, on)
    if household.pk == resident.household_id and relationship == resident.relationship:
        raise RegistryError(_("世帯と続柄が現在と同じです。"))
    _check_joinable(household, relationship, resident)
    Household.objects.filter(head=resident).exclude(pk=household.pk).update(head=None)
    resident.household = household
    resident.relationship = relationship
    resident.save(update_fields=["household", "relationship"])
    if relationship == Relationship.HEAD:
        Household.objects.filter(pk=household.pk).update(head=resident)
        household.head = resident
    _record(resident, EventKind.HOUSEHOLD_CHANGE, on)
    _announce("household_changed", resident, on)


# --- who lived where when -------------------------------------------------------------------


def _latest_event_before(day: dt.date) -> QuerySet[ResidenceEvent]:
    return ResidenceEvent.objects.filter(resident=OuterRef("pk"), effective_on__lte=day).order_by(
        "-effective_on", "-id"
    )


def residents_on(day: dt.date) -> QuerySet[Resident]:
    """Everyone who lived in the city on ``day``: their latest event by then is not 転出/死亡."""
    latest = _latest_event_before(day)
    return (
        Resident.objects.annotate(
            kind_then=Subquery(latest.values("kind")[:1]),
            address_then=Subquery(latest.values("address")[:1]),
        )
        .exclude(kind_then__isnull=True)
        .exclude(kind_then__in=LEAVING_EVENTS)
    )


def address_of(resident: Resident, day: dt.date) -> Address | None:
    """Where ``resident`` lived on ``day`` (None if not living in the city then)."""
    event = (
        resident.events.filter(effective_on__lte=day)
        .order_by("-effective_on", "-id")
        .select_related("address")
        .first()
    )
    if event is None or event.kind in LEAVING_EVENTS:
        return None
    return event.address


def history(resident: Resident) -> QuerySet[ResidenceEvent]:
    return resident.events.select_related("address", "household").order_by("effective_on", "id")


# --- account linking ------------------------------------------------------------------------


def _strip_city(text: str) -> str:
    form = address_form(text)
    city = load_city()
    for prefix in (city["prefecture"], city["name"], city["name"].replace("ヶ", "ケ")):
        form = form.removeprefix(address_form(prefix))
    return form


def same_address(given: str, address: Address) -> bool:
    """True when ``given`` names ``address`` (digits, 丁目/番地/号 and hyphens written any way).

    A building name after the 番地 in ``given`` is tolerated (providers differ in including it).
    """
    registered = address_form(address.town + address.banchi)
    return bool(registered) and _strip_city(given).startswith(registered)


def match_resident(
    *, family_name: str, given_name: str, birthdate: dt.date, address: str
) -> Resident | None:
    """The one living resident with this name, birthdate and address; None if none or several."""
    candidates = Resident.objects.filter(
        name_key=name_key(family_name, given_name),
        birthdate=birthdate,
        status=Status.ACTIVE,
    ).select_related("household__address")
    found = [r for r in candidates if r.household and same_address(address, r.household.address)]
    return found[0] if len(found) == 1 else None


@transaction.atomic
def link_account(user: Any, resident: Resident, method: str) -> AccountLink:
    """Link ``user`` to ``resident`` (replacing an earlier link of that user)."""
    if method not in LinkMethod.values:
        raise RegistryError(_("連携方法「%(value)s」は使えません。") % {"value": method})
    if resident.status != Status.ACTIVE:
        raise RegistryError(_("住民でない記録にはアカウントを連携できません。"))
    link, _created = AccountLink.objects.update_or_create(
        user=user, defaults={"resident": resident, "method": method, "linked_at": timezone.now()}
    )
    publish("residents.account_linked", user_id=user.pk, resident_id=resident.pk)
    _remember_link(user, link)
    return link


def resident_for(user: Any) -> Resident | None:
    """The registry record linked to ``user``'s account, if any.

    The answer is kept on the user object for as long as it lives (one request), in Django's
    own cache of the relation: the session's user arrives with it already (the accounts
    backend joins it), and a submission asks twice (prefill, then the status message).
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    relation = _link_of(user)
    if not relation.is_cached(user):
        _remember_link(
            user, AccountLink.objects.filter(user=user).select_related("resident").first()
        )
    link = relation.get_cached_value(user)
    return link.resident if link else None


def _link_of(user: Any) -> Any:
    """The user → AccountLink side of the one-to-one (where Django caches the link)."""
    return user.__class__.resident_link.related  # (request.user is a lazy proxy)


def _remember_link(user: Any, link: AccountLink | None) -> None:
    _link_of(user).set_cached_value(user, link)


# --- recipients (for the notification hub) --------------------------------------------------


def living_residents() -> QuerySet[Resident]:
    """Everyone living in the city now who belongs to a household: whom city notices address."""
    return Resident.objects.filter(status=Status.ACTIVE, household__isnull=False)


def verified_contacts(residents: QuerySet[Resident], kind: str) -> dict[int, list[str]]:
    """The verified contact values of ``kind`` (email, mobile, line…) per resident id."""
    found: dict[int, list[str]] = {}
    rows = ContactPoint.objects.filter(resident__in=residents, kind=kind, verified=True)
    for resident_id, value in rows.values_list("resident_id", "value").order_by("id"):
        found.setdefault(resident_id, []).append(value)
    return found


# --- aggregates (for open data; no person can be picked out of them) -------------------------


def population_counts() -> list[tuple[str, str, dt.date, int]]:
    """(区 code, sex, birthdate, how many) for everyone living in the city now.

    Open data (地域・年齢別人口) bins these into age bands and suppresses small cells; the
    registry hands out only counts, never a row per person.
    """
    rows = (
        living_residents()
        .values_list("household__district__code", "sex", "birthdate")
        .annotate(n=Count("id"))
        .order_by()
    )
    return list(rows)


def household_counts() -> dict[str, int]:
    """How many households with someone living in them each 区 has, by 区 code."""
    rows = (
        Household.objects.filter(members__status=Status.ACTIVE)
        .values_list("district__code")
        .annotate(n=Count("id", distinct=True))
        .order_by()
    )
    return dict(rows)


def registry_version() -> str:
    """Changes whenever the registry does (every change writes a ResidenceEvent): a cache key."""
    state = ResidenceEvent.objects.aggregate(last=Max("id"), events=Count("id"))
    return f"{state['last'] or 0}-{state['events']}-{Resident.objects.count()}"


# --- contact points reached by the notification hub -----------------------------------------


def confirm_contact(resident_id: int, kind: str, value: str) -> ContactPoint:
    """Record ``value`` as a verified contact of resident ``resident_id`` (idempotent).

    Verified means proven by the resident: a LINE account linked through LINE's account-link
    flow, a browser subscribed while signed in. The hub sends only to verified contacts.
    """
    if kind not in ContactKind.values:
        raise RegistryError(_("連絡先の種類「%(value)s」は使えません。") % {"value": kind})
    if not Resident.objects.filter(pk=resident_id, status=Status.ACTIVE).exists():
        raise RegistryError(_("住民でない記録には連絡先を登録できません。"))
    contact, _created = ContactPoint.objects.update_or_create(
        resident_id=resident_id, kind=kind, value=value, defaults={"verified": True}
    )
    return contact


def set_contact_verified(kind: str, value: str, verified: bool) -> int:
    """Mark every contact ``(kind, value)`` reachable or not (LINE follow / unfollow).

    Returns how many contacts changed; an unknown value changes nothing.
    """
    return ContactPoint.objects.filter(kind=kind, value=value).update(verified=verified)


def remove_contact(resident_id: int, kind: str, value: str) -> int:
    """Forget one contact of resident ``resident_id`` (a browser unsubscribed); how many went."""
    deleted, _by_model = ContactPoint.objects.filter(
        resident_id=resident_id, kind=kind, value=value
    ).delete()
    return deleted


def forget_contacts(kind: str, values: list[str]) -> int:
    """Forget contacts a provider said will never work again, whoever holds them; how many."""
    deleted, _by_model = ContactPoint.objects.filter(kind=kind, value__in=values).delete()
    return deleted


def contacts_of(resident_id: int) -> list[ContactPoint]:
    """Every contact of one resident, verified or not, for the resident's own settings page."""
    return list(ContactPoint.objects.filter(resident_id=resident_id).order_by("kind", "id"))


def add_contact(resident_id: int, kind: str, value: str) -> ContactPoint:
    """Record ``value`` as a contact still to be proven (an email awaiting its link).

    Unverified contacts are never sent to, so a typo cannot reach a stranger; a contact the
    resident already has (letter case aside) is refused rather than added twice.
    """
    if kind not in ContactKind.values:
        raise RegistryError(_("連絡先の種類「%(value)s」は使えません。") % {"value": kind})
    if not Resident.objects.filter(pk=resident_id, status=Status.ACTIVE).exists():
        raise RegistryError(_("住民でない記録には連絡先を登録できません。"))
    if ContactPoint.objects.filter(
        resident_id=resident_id, kind=kind, value__iexact=value
    ).exists():
        raise RegistryError(_("この連絡先はすでに登録されています。"))
    return ContactPoint.objects.create(resident_id=resident_id, kind=kind, value=value)
