"""Turning a message into outbox rows: one delivery per (recipient, channel, address).

Routine notices go to each person's first available channel (their preference order, else
``DEFAULT_ORDER``); emergencies go to every channel they have at once. A household where no
member has any digital address gets a paper delivery. Rows are inserted with
``ON CONFLICT DO NOTHING`` against the unique (message, channel, address), so running a
fan-out twice (a crashed worker, a retried task) adds nothing; ``services.fan_out`` relies on
that to commit them in chunks and to take up a fan-out that stopped midway.
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
#: Rows per committed chunk of a fan-out: small enough that workers start within a fraction of
#: a second, large enough that a whole-city warning needs only a handful of commits.
CHUNK = 2000


@dataclass(frozen=True, slots=True)
class Planned:
    """One outbox row to write: a Delivery's own columns, the rest being the message's or the
    defaults. A whole-city warning plans 16,000 of them, and a model instance each cost more
    than planning and writing them together."""

    channel: str
    address: str
    household_id: int | None = None
    resident_id: int | None = None
    language: str = "ja"


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
) -> list[Planned]:
    """The deliveries for ``message`` to ``people`` (not saved); emergencies use every channel."""
    every_channel = message.emergency if every_channel is None else every_channel
    channels = person_channels()
    known = addresses(people, channels)
    prefs = preferences(people)
    planned: list[Planned] = []
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
            language = _language(person, message)
            planned.append(Planned(code, address, person.household_id, person.id, language))
    planned += [paper(h) for h in sorted(households - reached)]
    return planned


def paper(household_id: int) -> Planned:
    return Planned("paper", f"household:{household_id}", household_id)


def onsite() -> Planned:
    return Planned("onsite", ONSITE_ADDRESS)


def save(message: Message, planned: list[Planned]) -> int:
    """Insert the rows, skipping any that exist; how many were planned.

    Written column by column (``sql.insert_columns``) from the planned values, the message's and
    the defaults, each prepared once: through model instances and ``bulk_create`` the fan-out
    of a whole-city warning took most of its time building and preparing 16,000 objects.
    """
    fields = [f for f in Delivery._meta.concrete_fields if not f.primary_key]
    fixed = {"message_id": message.pk, "emergency": message.emergency}
    columns = [_column(field, fixed, planned) for field in fields]
    sql.insert_columns(Delivery, [f.column for f in fields], columns, skip_conflicts=True)
    return len(planned)


def _column(field: models.Field, fixed: dict, planned: list[Planned]) -> list | object:
    """One column's values: a list (one per row) or one value for every row. Planned values
    (text and ids) go in as they are."""
    prepare = field.get_db_prep_save
    if field.attname in Planned.__slots__:
        return [getattr(row, field.attname) for row in planned]
    if field.unique and callable(field.default):  # the delivery's own key
        return [prepare(field.default(), connection) for _row in planned]
    value = fixed[field.attname] if field.attname in fixed else field.get_default()
    return prepare(value, connection)


def used_channels(message: Message) -> dict[int, set[str]]:
    """Per household: the channels this message already went out on."""
    used: dict[int, set[str]] = defaultdict(set)
    rows = message.deliveries.filter(household__isnull=False).values_list("household_id", "channel")
    for household_id, channel in rows:
        used[household_id].add(channel)
    return used
