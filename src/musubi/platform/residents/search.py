"""Registry search, shared by the staff page, the API and the benchmark.

Names are matched on precomputed keys (width-, kana- and space-folded), so 「やまだ」,
「ﾔﾏﾀﾞ」 and 「山田」 all find 山田 ヤマダ, and the query needs no function over every row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from musubi.platform.residents.models import District, Resident, Status
from musubi.platform.residents.text import address_form, search_form


@dataclass(frozen=True)
class Criteria:
    """What staff searched for; empty fields do not restrict."""

    name: str = ""
    birthdate: dt.date | None = None
    born_from: dt.date | None = None
    born_to: dt.date | None = None
    district: District | None = None
    address: str = ""
    status: str = ""

    def is_empty(self) -> bool:
        return not any(
            (self.name, self.birthdate, self.born_from, self.born_to, self.district, self.address)
        )

    def describe(self) -> str:
        """The query as the audit trail records it: the criteria, nothing read from the results."""
        parts = [
            f"name={self.name}" if self.name else "",
            f"birthdate={self.birthdate}" if self.birthdate else "",
            f"born={self.born_from or ''}..{self.born_to or ''}"
            if self.born_from or self.born_to
            else "",
            f"district={self.district.code}" if self.district else "",
            f"address={self.address}" if self.address else "",
            f"status={self.status}" if self.status else "",
        ]
        return " ".join(p for p in parts if p)[:200]


def search_residents(criteria: Criteria) -> QuerySet[Resident]:
    """Residents matching every given criterion, in kana order."""
    found = Resident.objects.select_related("household__address", "household__district")
    name = search_form(criteria.name)
    if name:
        found = found.filter(search_key__contains=name)
    if criteria.birthdate:
        found = found.filter(birthdate=criteria.birthdate)
    if criteria.born_from:
        found = found.filter(birthdate__gte=criteria.born_from)
    if criteria.born_to:
        found = found.filter(birthdate__lte=criteria.born_to)
    if criteria.district:
        found = found.filter(household__district=criteria.district)
    address = address_form(criteria.address)
    if address:
        found = found.filter(household__address__search_key__contains=address)
    if criteria.status in Status.values:
        found = found.filter(status=criteria.status)
    return found.order_by("kana_key", "number")
