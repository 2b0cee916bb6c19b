"""The synthetic population of the demo city: deterministic for a seed, never real people.

About 32,000 residents in about 13,000 households across the 区 and 組 of the city file,
31.7% aged 65+ (kept on target while households are drawn), exactly 640 foreign
residents, a few contact points, consents and a short history of 転居/転出/死亡.
Rows go through the CSV importer's bulk writer, so demo and import share one write path.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from musubi.platform.residents import importers, services
from musubi.platform.residents.models import (
    AccountLink,
    Address,
    Consent,
    ContactKind,
    ContactPoint,
    District,
    EventKind,
    Household,
    Kumi,
    Relationship,
    ResidenceEvent,
    Resident,
    Sex,
    Status,
)

TOTAL_RESIDENTS = 32_000
FOREIGN_RESIDENTS = 640
ELDERLY_SHARE = 0.317
NAMES_FILE = Path(__file__).parent / "data" / "demo_names.json"
CONSENT_PURPOSE = "避難行動要支援者名簿の情報提供"

#: Japanese household types: (weight, includes people aged 65+).
HOUSEHOLD_TYPES = {
    "single_elderly": (17, True),
    "elderly_couple": (16, True),
    "elderly_with_child": (8, True),
    "three_generations": (9, True),
    "single_adult": (12, False),
    "couple": (10, False),
    "family": (22, False),
    "single_parent": (5, False),
}


@lru_cache(maxsize=1)
def _names() -> dict:
    return json.loads(NAMES_FILE.read_text(encoding="utf-8"))


@dataclass
class Person:
    relationship: str
    sex: str
    age: int
    family: tuple[str, str] | None = None


def has_population() -> bool:
    return Resident.objects.exists()


@transaction.atomic
def clear() -> None:
    """Remove every resident, household and address (the 区 and 組 stay)."""
    Household.objects.update(head=None)
    for model in (AccountLink, ContactPoint, Consent, ResidenceEvent, Resident, Household, Address):
        model.objects.all().delete()


class CityBuilder:
    """Draws households one by one; a seeded RNG makes the city the same for the same seed."""

    def __init__(self, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
        self.today = today
        city = services.load_city()["synthetic"]["districts"]
        self.districts = list(District.objects.order_by("order"))
        self.weights = [city[d.code]["weight"] for d in self.districts]
        self.facts = city
        self.kumi = {}
        for kumi in Kumi.objects.order_by("number"):
            self.kumi.setdefault(kumi.district_id, []).append(kumi.pk)
        self.rows: list[importers.ResidentRow] = []
        self.elderly = 0
        self.resident_number = int(services.next_resident_number())
        self.household_number = int(services.next_household_number())

    # --- people ---------------------------------------------------------------------------

    def _age(self, low: int, high: int) -> int:
        return self.rng.randint(low, max(low, high))

    def _japanese(self, kind: str) -> list[Person]:
        rng, age = self.rng, self._age
        if kind == "single_elderly":
            return [Person(Relationship.HEAD, rng.choice("1222"), age(65, 97))]
        if kind == "single_adult":
            return [Person(Relationship.HEAD, rng.choice("112"), age(19, 64))]
        if kind in ("elderly_couple", "couple"):
            head = age(65, 92) if kind == "elderly_couple" else age(24, 64)
            return [
                Person(Relationship.HEAD, Sex.MALE, head),
                Person(Relationship.SPOUSE, Sex.FEMALE, max(18, head - age(0, 5))),
            ]
        if kind == "elderly_with_child":
            parent = age(75, 98)
            return [
                Person(Relationship.HEAD, rng.choice("12"), parent),
                Person(Relationship.CHILD, rng.choice("12"), parent - age(22, 36)),
            ]
        if kind == "single_parent":
            parent = age(25, 55)
            return [Person(Relationship.HEAD, Sex.FEMALE, parent), *self._children(parent, 2)]
        if kind == "family":
            head = age(27, 56)
            return [
                Person(Relationship.HEAD, Sex.MALE, head),
                Person(Relationship.SPOUSE, Sex.FEMALE, max(20, head - age(-2, 5))),
                *self._children(head, 3),
            ]
        return self._three_generations()

    def _children(self, parent: int, most: int) -> list[Person]:
        count = self.rng.randint(1, most)
        return [
            Person(Relationship.CHILD, self.rng.choice("12"), self._age(0, min(parent - 20, 24)))
            for _ in range(count)
        ]

    def _three_generations(self) -> list[Person]:
        grand = self._age(66, 95)
        head = max(30, grand - self._age(24, 34))
        people = [
            Person(Relationship.HEAD, Sex.MALE, head),
            Person(Relationship.SPOUSE, Sex.FEMALE, max(22, head - self._age(0, 4))),
            Person(Relationship.MOTHER, Sex.FEMALE, grand),
        ]
        if self.rng.random() < 0.5:
            people.append(Person(Relationship.FATHER, Sex.MALE, grand + self._age(0, 4)))
        return people + self._children(head, 3)

    def _foreign(self) -> tuple[str, list[Person]]:
        table = _names()["foreign"]
        nationality = self.rng.choices(list(table), [v["weight"] for v in table.values()])[0]
        roll = self.rng.random()
        if roll < 0.65:
            people = [Person(Relationship.HEAD, self.rng.choice("12"), self._age(19, 38))]
        elif roll < 0.8:
            head = self._age(24, 50)
            people = [
                Person(Relationship.HEAD, Sex.MALE, head),
                Person(Relationship.SPOUSE, Sex.FEMALE, max(20, head - self._age(0, 5))),
            ]
        else:
            head = self._age(26, 50)
            people = [
                Person(Relationship.HEAD, Sex.MALE, head),
                Person(Relationship.SPOUSE, Sex.FEMALE, max(21, head - self._age(0, 5))),
                *self._children(head, 2),
            ]
        return nationality, people

    # --- households -------------------------------------------------------------------------

    def _choose_kind(self) -> str:
        """Favour households with elderly people while the city is below its 65+ share."""
        placed = len(self.rows)
        below = placed == 0 or self.elderly / placed < ELDERLY_SHARE
        weights = [
            w * (2.0 if elderly == below else 1.0) for w, elderly in HOUSEHOLD_TYPES.values()
        ]
        return self.rng.choices(list(HOUSEHOLD_TYPES), weights)[0]

    def _address(self, apartment: bool) -> dict:
        district = self.rng.choices(self.districts, self.weights)[0]
        facts = self.facts[district.code]
        lat, lon = facts["center"]
        kumi = self.kumi.get(district.pk) or [None]
        building = f"コーポ{district.name} {self.rng.randint(1, 3)}0{self.rng.randint(1, 8)}"
        return {
            "postal_code": facts["postal_code"],
            "town": self.rng.choice(facts["towns"]),
            "banchi": f"{self.rng.randint(1, 4200)}-{self.rng.randint(1, 9)}",
            "building": building if apartment else "",
            "district_id": district.pk,
            "kumi_id": self.rng.choice(kumi),
            "latitude": round(lat + self.rng.gauss(0, 0.005), 7),
            "longitude": round(lon + self.rng.gauss(0, 0.005), 7),
        }

    def _birthdate(self, age: int) -> dt.date:
        born = self.today - dt.timedelta(days=int(age * 365.25) + self.rng.randint(1, 364))
        return min(born, self.today)

    def _add(self, people: list[Person], nationality: str, language: str, room: int) -> int:
        people = people[:room]
        names = _names()
        pool = names["foreign"][nationality] if nationality != "JP" else names
        family = self.rng.choice(pool["family"])
        household = str(self.household_number).zfill(8)
        self.household_number += 1
        address = self._address(apartment=nationality != "JP" or len(people) == 1)
        for person in people:
            given = self.rng.choice(pool["male" if person.sex == Sex.MALE else "female"])
            self.rows.append(
                importers.ResidentRow(
                    line=0,
                    number=str(self.resident_number).zfill(10),
                    household_number=household,
                    relationship=person.relationship,
                    family_name=family[0],
                    given_name=given[0],
                    family_name_kana=family[1],
                    given_name_kana=given[1],
                    birthdate=self._birthdate(person.age),
                    sex=person.sex,
                    nationality=nationality,
                    preferred_language=language,
                    resident_since=None,
                    email="",
                    phone="",
                    **address,
                )
            )
            self.resident_number += 1
            self.elderly += person.age >= 65
        return len(people)

    def build(self, total: int, foreign: int) -> list[importers.ResidentRow]:
        table = _names()["foreign"]
        placed = 0
        while placed < foreign:
            nationality, people = self._foreign()
            placed += self._add(
                people, nationality, table[nationality]["language"], foreign - placed
            )
        while placed < total:
            people = self._japanese(self._choose_kind())
            placed += self._add(people, "JP", "ja", total - placed)
        return self.rows


def generate(seed: int) -> dict[str, int]:
    """Create the demo population (on an empty registry) and say how much was made."""
    services.ensure_districts()
    today = timezone.localdate()
    builder = CityBuilder(seed, today)
    rows = builder.build(TOTAL_RESIDENTS, FOREIGN_RESIDENTS)
    rng = random.Random(seed + 1)  # noqa: S311
    with transaction.atomic():
        written = importers.write_rows(rows)
        contacts = _contacts(rng, written.residents, today)
        consents = _consents(rng, written.residents, today)
        history = _history(rng, written, today)
    return {
        "residents": len(written.residents),
        "households": len(written.households),
        "contact points": contacts,
        "consents": consents,
        "history events": history,
    }


def _age(resident: Resident, today: dt.date) -> int:
    born = resident.birthdate
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _contacts(rng: random.Random, residents: list[Resident], today: dt.date) -> int:
    contacts = []
    for r in residents:
        if _age(r, today) < 18:
            continue
        if rng.random() < 0.35:
            number = f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
            contacts.append(ContactPoint(resident=r, kind=ContactKind.MOBILE, value=number))
        if rng.random() < 0.12:
            value = f"resident{r.number}@example.com"
            contacts.append(ContactPoint(resident=r, kind=ContactKind.EMAIL, value=value))
    ContactPoint.objects.bulk_create(contacts, batch_size=importers.BATCH)
    return len(contacts)


def _consents(rng: random.Random, residents: list[Resident], today: dt.date) -> int:
    now = timezone.now()
    consents = [
        Consent(
            resident=r,
            purpose=CONSENT_PURPOSE,
            granted_at=now - dt.timedelta(days=rng.randint(30, 2000)),
        )
        for r in residents
        if _age(r, today) >= 75 and rng.random() < 0.08
    ]
    Consent.objects.bulk_create(consents, batch_size=importers.BATCH)
    return len(consents)


def _history(rng: random.Random, written: importers.Written, today: dt.date) -> int:
    """Some households moved within the city; some residents died or moved away."""
    events = []
    moved = rng.sample(written.households, 150)
    for household in moved:
        events += _relocation(rng, household, today)
    moved_ids = {h.pk for h in moved}
    members = [
        r
        for r in written.residents
        if r.relationship != Relationship.HEAD
        and r.nationality == "JP"
        and r.household_id not in moved_ids
        and _age(r, today) >= 18
    ]
    for resident in rng.sample(members, 120):
        elderly = _age(resident, today) >= 65
        kind = EventKind.DEATH if elderly else EventKind.MOVE_OUT
        resident.status = Status.DECEASED if elderly else Status.MOVED_OUT
        events.append(
            ResidenceEvent(
                resident=resident,
                kind=kind,
                effective_on=today - dt.timedelta(days=rng.randint(1, 700)),
                household=resident.household,
                address=resident.household.address,
                relationship=resident.relationship,
            )
        )
    Resident.objects.bulk_update(
        [e.resident for e in events if e.kind in (EventKind.DEATH, EventKind.MOVE_OUT)], ["status"]
    )
    ResidenceEvent.objects.bulk_create(events, batch_size=importers.BATCH)
    return len(events)


def _relocation(rng: random.Random, household: Household, today: dt.date) -> list[ResidenceEvent]:
    """The household lived elsewhere in the city until a 転居 some time ago."""
    current = household.address
    old = Address(
        postal_code=current.postal_code,
        town=current.town,
        banchi=f"{rng.randint(1, 4200)}-{rng.randint(1, 9)}",
        district_id=current.district_id,
        kumi_id=current.kumi_id,
    )
    old.save()
    moved_on = today - dt.timedelta(days=rng.randint(30, 1500))
    members = list(Resident.objects.filter(household=household))
    ResidenceEvent.objects.filter(resident__in=members, effective_on__lt=moved_on).update(
        address=old
    )
    return [
        ResidenceEvent(
            resident=r,
            kind=EventKind.RELOCATE,
            effective_on=moved_on,
            household=household,
            address=current,
            relationship=r.relationship,
        )
        for r in members
        if r.birthdate < moved_on
    ]


def demo_residents(n: int) -> list[Resident]:
    """``n`` deterministic adult 世帯主 without an email address, for the demo resident logins."""
    today = timezone.localdate()
    return list(
        Resident.objects.filter(
            status=Status.ACTIVE,
            nationality="JP",
            relationship=Relationship.HEAD,
            birthdate__lte=today - dt.timedelta(days=25 * 366),
            birthdate__gt=today - dt.timedelta(days=64 * 365),
        )
        .exclude(contacts__kind=ContactKind.EMAIL)
        .select_related("household__address")
        .order_by("number")[:n]
    )
