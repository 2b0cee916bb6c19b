"""Turning a message into outbox rows: one delivery per (recipient, channel, address).

Routine notices go to each person's first available channel (their preference order, else
``DEFAULT_ORDER``); emergencies go to every channel they have at once. A household where no
member has any digital address gets a paper delivery. Rows are inserted with
``ignore_conflicts`` against the unique (message, channel, address), so running a fan-out twice
(a crashed worker, a retried task) adds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import QuerySet

from musubi.platform.notify import sql
from musubi.platform.notify.channels import registry
from musubi.platform.notify.channels.base import Channel
from musubi.platform.notify.channels.onsite import ADDRESS as ONSITE_ADDRESS
from musubi.platform.notify.models import Delivery, Message, NotifyPreference
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import Resident

DEFAULT_ORDER = ("line", "webpush", "email", "sms")


@dataclass(frozen=True)
class Person:
    id: int
    household_id: int
    language: str


def person_channels() -> list[Channel]:
    """The registered channels that reach one person, in the default order of preference."""
    found = [registry.get(code) for code in registry.codes()]
    people = [c for c in found if c.digital and c.per_person]
    rank = {code: i for i, code in enumerate(DEFAULT_ORDER)}
    return sorted(people, key=lambda c: (rank.get(c.code, len(rank)), c.code))


def addresses(
    people: QuerySet[Resident], channels: list[Channel]
) -> dict[str, dict[int, list[str]]]:
    """Per channel code: each resident's addresses on it."""
    found = {}
    for channel in channels:
        if channel.contact_kind:
            found[channel.code] = residents.verified_contacts(people, channel.contact_kind)
        else:
            found[channel.code] = channel.addresses_for(list(people.values_list("id", flat=True)))
    return found


def preferences(people: QuerySet[Resident]) -> dict[int, NotifyPreference]:
    return {p.resident_id: p for p in NotifyPreference.objects.filter(resident__in=people)}


def choices_for(
    person_id: int,
    channels: list[Channel],
    known: dict[str, dict[int, list[str]]],
    preference: NotifyPreference | None,
) -> list[tuple[str, str]]:
    """(channel, address) pairs for one person, best first, refused channels left out."""
    codes = [c.code for c in channels]
    if preference:
        codes = [c for c in preference.order if c in codes] + [
            c for c in codes if c not in preference.order
        ]
        codes = [c for c in codes if c not in preference.opted_out]
    return [(code, address) for code in codes for address in known[code].get(person_id, [])]


def _language(person: Person, message: Message) -> str:
    return person.language if person.language in message.rendered else "ja"


def plan(
    message: Message, people: QuerySet[Resident], *, every_channel: bool | None = None
) -> list[Delivery]:
    """The deliveries for ``message`` to ``people`` (not saved); emergencies use every channel."""
    every_channel = message.emergency if every_channel is None else every_channel
    channels = person_channels()
    known = addresses(people, channels)
    prefs = preferences(people)
    planned: list[Delivery] = []
    reached: set[int] = set()
    households: set[int] = set()
    rows = people.values_list("id", "household_id", "preferred_language").order_by("id")
    for person in (Person(*row) for row in rows.iterator(chunk_size=5000)):
        households.add(person.household_id)
        options = choices_for(person.id, channels, known, prefs.get(person.id))
        if not every_channel:
            options = [o for o in options if o[0] == options[0][0]] if options else []
        for code, address in options:
            reached.add(person.household_id)
            planned.append(_delivery(message, code, address, person, _language(person, message)))
    planned += [paper(message, h) for h in sorted(households - reached)]
    return planned


def _delivery(message: Message, code: str, address: str, person: Person, language: str) -> Delivery:
    return Delivery(
        message=message, channel=code, address=address, resident_id=person.id,
        household_id=person.household_id, language=language, emergency=message.emergency,
    )  # fmt: skip


def paper(message: Message, household_id: int) -> Delivery:
    return Delivery(
        message=message, channel="paper", address=f"household:{household_id}",
        household_id=household_id, emergency=message.emergency,
    )  # fmt: skip


def onsite(message: Message) -> Delivery:
    return Delivery(
        message=message, channel="onsite", address=ONSITE_ADDRESS, emergency=message.emergency
    )


def save(deliveries: list[Delivery]) -> int:
    """Insert the rows, skipping any that exist; how many were planned.

    On PostgreSQL Django's bulk_create sends each column as one array (``UNNEST``), which is
    fast. Elsewhere (SQLite) it prepared every value of every row through its field and split
    the insert into 58-row statements: for a whole-city warning, 16,000 rows, most of the
    fan-out. There the rows go in by hand (``sql.insert_rows``, skipping conflicts), only dates
    and keys prepared.
    """
    if connection.vendor == "postgresql":
        Delivery.objects.bulk_create(deliveries, batch_size=sql.MAX_ROWS, ignore_conflicts=True)
    else:
        _insert_by_hand(deliveries)
    return len(deliveries)


def _insert_by_hand(deliveries: list[Delivery]) -> None:
    fields = [f for f in Delivery._meta.concrete_fields if not f.primary_key]
    spec = [(f, isinstance(f, (models.DateTimeField, models.UUIDField))) for f in fields]
    rows = [[_value(d, field, p) for field, p in spec] for d in deliveries]
    sql.insert_rows(Delivery, [f.column for f in fields], rows, skip_conflicts=True)


def _value(delivery: Delivery, field: models.Field, prepared: bool) -> object:
    value = getattr(delivery, field.attname)
    return field.get_db_prep_save(value, connection) if prepared else value


def used_channels(message: Message) -> dict[int, set[str]]:
    """Per household: the channels this message already went out on."""
    used: dict[int, set[str]] = defaultdict(set)
    rows = message.deliveries.filter(household__isnull=False).values_list("household_id", "channel")
    for household_id, channel in rows:
        used[household_id].add(channel)
    return used
