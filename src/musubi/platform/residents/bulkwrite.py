"""Writing checked registry rows in bulk, the fastest way each database offers.

PostgreSQL takes rows through ``COPY … FROM STDIN`` (one stream per table instead of one
statement per row); SQLite, in-process, through ``executemany``. Both run on the
caller's connection, so they are part of the caller's transaction: a failure anywhere
rolls everything back.

Primary keys of rows that other rows refer to are reserved before writing, so the
addresses, households, residents, events and contacts of a file are each written in
one pass, with references already filled in and nothing read back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from musubi.platform.residents.models import (
    Address,
    ContactKind,
    ContactPoint,
    EventKind,
    Household,
    Relationship,
    ResidenceEvent,
    Resident,
    Status,
)
from musubi.platform.residents.text import address_form, name_key

if TYPE_CHECKING:
    from musubi.platform.residents.importers import ResidentRow

#: Loads at least this large are followed by ANALYZE on PostgreSQL.
ANALYZE_AFTER = 1000


def by_household(rows: Iterable[ResidentRow]) -> dict[str, list[ResidentRow]]:
    """The rows of each 世帯番号, in the order households first appear."""
    groups: dict[str, list[ResidentRow]] = {}
    for row in rows:
        groups.setdefault(row.household_number, []).append(row)
    return groups


# --- the registry's tables ---------------------------------------------------------------


@dataclass
class Written:
    """The rows as written, with the keys they got.

    Model objects are made only when a caller asks for them (the demo generator does;
    an import needs only the counts), as making tens of thousands of them takes seconds.
    """

    groups: dict[str, list[ResidentRow]]
    address_keys: list[int]
    household_keys: list[int]
    resident_keys: list[int]

    def counts(self) -> dict[str, int]:
        return {"residents": len(self.resident_keys), "households": len(self.household_keys)}

    @cached_property
    def households(self) -> list[Household]:
        households = []
        for members, keys, key, address_key in zip(
            self.groups.values(),
            self.member_keys,
            self.household_keys,
            self.address_keys,
            strict=True,
        ):
            address = _address(members[0])
            address.pk = address_key
            household = Household(
                pk=key,
                number=members[0].household_number,
                address=address,
                district_id=address.district_id,
                kumi_id=address.kumi_id,
                head_id=_head_key(members, keys),
            )
            household._state.adding = address._state.adding = False
            households.append(household)
        return households

    @cached_property
    def residents(self) -> list[Resident]:
        residents = []
        for household, members, keys in zip(
            self.households, self.groups.values(), self.member_keys, strict=True
        ):
            for row, key in zip(members, keys, strict=True):
                resident = Resident(pk=key, household=household, status=Status.ACTIVE)
                for name, value in zip(RESIDENT_DETAILS, _details(row), strict=True):
                    setattr(resident, name, value)
                resident.refresh_keys()
                resident._state.adding = False
                residents.append(resident)
        return residents

    @cached_property
    def member_keys(self) -> list[list[int]]:
        """The residents' keys household by household, in the order of ``groups``."""
        keys, start = [], 0
        for members in self.groups.values():
            keys.append(self.resident_keys[start : start + len(members)])
            start += len(members)
        return keys


#: Resident fields copied as they are from a checked row.
RESIDENT_DETAILS = (
    "number",
    "relationship",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birthdate",
    "sex",
    "nationality",
    "preferred_language",
)
_details = attrgetter(*RESIDENT_DETAILS)
ADDRESS_FIELDS = (
    "id",
    "postal_code",
    "town",
    "banchi",
    "building",
    "latitude",
    "longitude",
    "district",
    "kumi",
    "search_key",
)
HOUSEHOLD_FIELDS = ("id", "number", "address", "district", "kumi", "head")
RESIDENT_FIELDS = (
    "id",
    "household",
    *RESIDENT_DETAILS,
    "status",
    "name_key",
    "kana_key",
    "search_key",
)
EVENT_FIELDS = (
    "resident",
    "kind",
    "effective_on",
    "recorded_at",
    "household",
    "address",
    "relationship",
    "note",
)
CONTACT_FIELDS = ("resident", "kind", "value", "verified")


@transaction.atomic
def write_rows(rows: list[ResidentRow]) -> Written:
    """Write checked rows: addresses, households with their 世帯主, residents, events, contacts.

    Keys are reserved first, so every table is written in one pass (COPY on PostgreSQL)
    with its references already filled in; that keeps an import of the whole city within
    seconds. A household names its head before the head's row exists: foreign keys are
    checked at commit, by when both are there.
    """
    groups = by_household(rows)
    written = Written(
        groups,
        reserve_keys(Address, len(groups)),
        reserve_keys(Household, len(groups)),
        reserve_keys(Resident, len(rows)),
    )
    recorded_at = connection.ops.adapt_datetimefield_value(timezone.now())
    insert(Address, ADDRESS_FIELDS, _address_values(written))
    insert(Household, HOUSEHOLD_FIELDS, _household_values(written))
    residents, events, contacts = [], [], []
    for members, keys, household, address in zip(
        groups.values(),
        written.member_keys,
        written.household_keys,
        written.address_keys,
        strict=True,
    ):
        for row, key in zip(members, keys, strict=True):
            residents.append(_resident_values(row, key, household))
            events.append(_first_event(row, key, household, address, recorded_at))
            contacts += _contacts(row, key)
    insert(Resident, RESIDENT_FIELDS, residents)
    insert(ResidenceEvent, EVENT_FIELDS, events)
    insert(ContactPoint, CONTACT_FIELDS, contacts)
    if len(rows) >= ANALYZE_AFTER:
        analyze([Address, Household, Resident, ResidenceEvent, ContactPoint])
    return written


def _address(row: ResidentRow) -> Address:
    address = Address(
        postal_code=row.postal_code,
        town=row.town,
        banchi=row.banchi,
        building=row.building,
        district_id=row.district_id,
        kumi_id=row.kumi_id,
        latitude=row.latitude,
        longitude=row.longitude,
    )
    address.refresh_key()
    return address


def _address_values(written: Written) -> list[tuple]:
    values = []
    for members, key in zip(written.groups.values(), written.address_keys, strict=True):
        row = members[0]
        search_key = address_form(f"{row.town}{row.banchi}{row.building}")
        values.append(
            (
                key,
                row.postal_code,
                row.town,
                row.banchi,
                row.building,
                row.latitude,
                row.longitude,
                row.district_id,
                row.kumi_id,
                search_key,
            )
        )
    return values


def _household_values(written: Written) -> list[tuple]:
    return [
        (
            key,
            number,
            address,
            members[0].district_id,
            members[0].kumi_id,
            _head_key(members, keys),
        )
        for (number, members), keys, key, address in zip(
            written.groups.items(),
            written.member_keys,
            written.household_keys,
            written.address_keys,
            strict=True,
        )
    ]


def _head_key(members: list[ResidentRow], keys: list[int]) -> int | None:
    """The key of the household's 世帯主 (checking made sure there is exactly one)."""
    return next(
        (
            key
            for row, key in zip(members, keys, strict=True)
            if row.relationship == Relationship.HEAD
        ),
        None,
    )


def _resident_values(row: ResidentRow, key: int, household: int) -> tuple:
    """Values in RESIDENT_FIELDS order; the search keys as Resident.refresh_keys makes them
    (a test holds the two together)."""
    names = name_key(row.family_name, row.given_name)
    kana = name_key(row.family_name_kana, row.given_name_kana)
    return (key, household, *_details(row), Status.ACTIVE, names, kana, f"{names}|{kana}")


def _first_event(
    row: ResidentRow, resident: int, household: int, address: int, recorded_at: object
) -> tuple:
    """A resident without 住定日 has lived here since birth (出生); otherwise since 転入."""
    kind = EventKind.MOVE_IN if row.resident_since else EventKind.BIRTH
    effective_on = row.resident_since or row.birthdate
    return (resident, kind, effective_on, recorded_at, household, address, row.relationship, "")


def _contacts(row: ResidentRow, resident: int) -> list[tuple]:
    contacts = []
    if row.email:
        contacts.append((resident, ContactKind.EMAIL, row.email, False))
    if row.phone:
        mobile = row.phone.startswith(("070", "080", "090"))
        kind = ContactKind.MOBILE if mobile else ContactKind.PHONE
        contacts.append((resident, kind, row.phone, False))
    return contacts


# --- database primitives ---------------------------------------------------------------


def reserve_keys(model: type[Model], count: int) -> list[int]:
    """``count`` fresh primary keys for ``model``, to be used in this transaction.

    PostgreSQL draws them from the table's sequence (safe against concurrent writers).
    SQLite continues after the highest key ever used; that is safe because Musubi's
    SQLite transactions are ``IMMEDIATE`` (settings.py), so no other connection can
    write until this transaction ends. Should one ever manage to, the insert fails on
    the primary key and the transaction rolls back whole.
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            (sequence,) = cursor.fetchone()
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
            )
            return [key for (key,) in cursor.fetchall()]
        quoted = connection.ops.quote_name
        # Identifiers come from model metadata; the table name is also a parameter.
        cursor.execute(
            "SELECT MAX(last) FROM ("  # noqa: S608
            "SELECT seq AS last FROM sqlite_sequence WHERE name = %s "
            f"UNION ALL SELECT MAX({quoted(column)}) FROM {quoted(table)})",
            [table],
        )
        (last,) = cursor.fetchone()
    first = (last or 0) + 1
    return list(range(first, first + count))


def insert(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert ``rows`` (values in ``fields`` order, foreign keys as ``<name>_id`` values).

    Values must already be valid for their columns: nothing here converts or checks them.
    """
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    columns = ", ".join(ops.quote_name(model._meta.get_field(f).column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # cursor.cursor is psycopg's own cursor, which streams COPY data; its errors
            # are turned into Django's (IntegrityError …) as for any other statement.
            copying = cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN")
            with connection.wrap_database_errors, copying as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        # Identifiers come from model metadata; values are parameters.
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


def analyze(models: Iterable[type[Model]]) -> None:
    """Let PostgreSQL's planner see new row counts now rather than when autovacuum wakes.

    Without it, searches right after a large load may use plans made for empty tables.
    SQLite's planner needs no such help for these tables.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
