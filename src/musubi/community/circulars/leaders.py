"""区長・組長: who leads which area when, and which areas a person may post to and oversee.

An ``Area`` is a 区 (``kumi_id`` None) or one 組. A Leader's area is their jurisdiction: a
区長 covers every 組 of the 区, a 組長 only their 組. City staff holding ``circulars.post``
have no Leader row and cover the whole city (``Jurisdiction.everywhere``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from musubi.community.circulars.models import Leader, LeaderRole
from musubi.platform.accounts import services as accounts
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import District, Kumi, Resident, Status


class LeaderError(ValidationError):
    """An appointment that cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Area:
    district_id: int
    kumi_id: int | None = None

    def contains(self, other: Area) -> bool:
        """True when ``other`` lies inside this area (a 区 contains its 組)."""
        if self.district_id != other.district_id:
            return False
        return self.kumi_id is None or self.kumi_id == other.kumi_id

    def overlaps(self, other: Area) -> bool:
        return self.contains(other) or other.contains(self)


@dataclass(frozen=True)
class Jurisdiction:
    """Where someone may post and whose reads they may see; staff: ``everywhere``."""

    areas: tuple[Area, ...] = ()
    leaders: tuple[Leader, ...] = field(default=(), compare=False)
    everywhere: bool = False

    def __bool__(self) -> bool:
        return self.everywhere or bool(self.areas)

    def covers(self, area: Area) -> bool:
        return self.everywhere or any(mine.contains(area) for mine in self.areas)

    def touches(self, area: Area) -> bool:
        return self.everywhere or any(mine.overlaps(area) for mine in self.areas)

    def household_filter(self, prefix: str = "") -> Q:
        """A Q selecting households (``prefix``: the path to the household) in these areas."""
        if self.everywhere:
            return Q()
        found = Q(pk__in=[])
        for area in self.areas:
            if area.kumi_id is None:
                found |= Q(**{f"{prefix}district_id": area.district_id})
            else:
                found |= Q(**{f"{prefix}kumi_id": area.kumi_id})
        return found


CITY_WIDE = Jurisdiction(everywhere=True)


def serving(on: dt.date | None = None) -> QuerySet[Leader]:
    """Leaders whose term includes ``on`` (today by default)."""
    on = on or timezone.localdate()
    return Leader.objects.filter(term_start__lte=on).filter(
        Q(term_end__isnull=True) | Q(term_end__gte=on)
    )


def leaders_of(user: Any, on: dt.date | None = None) -> list[Leader]:
    """The serving Leader rows of the resident linked to ``user``'s account."""
    resident = residents.resident_for(user)
    if resident is None or resident.status != Status.ACTIVE:
        return []
    return list(serving(on).filter(resident=resident).select_related("district", "kumi"))


def jurisdiction_of(user: Any) -> Jurisdiction:
    """What ``user`` oversees as a neighbourhood leader (empty when they lead nothing)."""
    found = leaders_of(user)
    areas = tuple(Area(x.district_id, x.kumi_id) for x in found)
    return Jurisdiction(areas=areas, leaders=tuple(found))


def staff_jurisdiction(user: Any) -> Jurisdiction:
    """City staff with ``circulars.post`` oversee every 区."""
    return CITY_WIDE if accounts.has_permission(user, "circulars.post") else Jurisdiction()


def _check_area(role: str, district: District, kumi: Kumi | None) -> None:
    if role not in LeaderRole.values:
        raise LeaderError(_("役職を選んでください。"))
    if role == LeaderRole.KUMICHO and kumi is None:
        raise LeaderError(_("組長には組を選んでください。"))
    if role == LeaderRole.KUCHO and kumi is not None:
        raise LeaderError(_("区長には組を選ばないでください（区全体を担当します）。"))
    if kumi is not None and kumi.district_id != district.pk:
        raise LeaderError(
            _("組 %(kumi)s は区 %(district)s に属していません。")
            % {"kumi": kumi, "district": district}
        )


def _check_term(start: dt.date, end: dt.date | None) -> None:
    if end is not None and end < start:
        raise LeaderError(_("任期の終了が開始より前です。"))


def _check_overlap(role: str, district: District, kumi: Kumi | None, start: dt.date, end) -> None:
    """One 区長 per 区 and one 組長 per 組 at a time: terms of the same seat may not overlap."""
    same_seat = Leader.objects.filter(role=role, district=district, kumi=kumi)
    overlapping = same_seat.filter(Q(term_end__isnull=True) | Q(term_end__gte=start))
    if end is not None:
        overlapping = overlapping.filter(term_start__lte=end)
    current = overlapping.select_related("resident").first()
    if current:
        raise LeaderError(
            _("%(area)s の%(role)s には %(name)s さんが任期中です。先に任期を終了してください。")
            % {
                "area": current.area_name(),
                "role": current.get_role_display(),
                "name": current.resident,
            }
        )


@transaction.atomic
def appoint(
    resident: Resident,
    *,
    role: str,
    district: District,
    kumi: Kumi | None,
    term_start: dt.date,
    term_end: dt.date | None,
    by: Any,
) -> Leader:
    """Name a living resident 区長 or 組長 of an area for a term; raises LeaderError."""
    if resident.status != Status.ACTIVE:
        raise LeaderError(_("住民でない方は任命できません。"))
    _check_area(role, district, kumi)
    _check_term(term_start, term_end)
    _check_overlap(role, district, kumi, term_start, term_end)
    return Leader.objects.create(
        resident=resident,
        role=role,
        district=district,
        kumi=kumi,
        term_start=term_start,
        term_end=term_end,
        appointed_by=by,
    )


def end_term(leader: Leader, on: dt.date | None = None) -> Leader:
    """End a leader's term on ``on`` (today); from the next day they lead nothing."""
    on = on or timezone.localdate()
    if on < leader.term_start:
        raise LeaderError(_("任期の終了が開始より前です。"))
    if leader.term_end is not None and leader.term_end <= on:
        raise LeaderError(_("この任期は既に終了しています。"))
    leader.term_end = on
    leader.save(update_fields=["term_end"])
    return leader
