"""How far a message got: reach %, by channel, by 区, and who is still unreached.

A household counts as reached when one of its deliveries on a digital channel was sent or
delivered, when staff recorded its paper letter or visit as delivered, or when it acknowledged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import get_language

from musubi.platform.notify.models import Acknowledgement, Delivery, DeliveryState, Message
from musubi.platform.residents.models import Household


@dataclass
class DistrictReach:
    name: str
    households: int = 0
    reached: int = 0

    @property
    def percent(self) -> float:
        return round(100 * self.reached / self.households, 1) if self.households else 0.0


@dataclass
class Reach:
    households: int
    reached: int
    acknowledged: int
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    by_district: list[DistrictReach] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return round(100 * self.reached / self.households, 1) if self.households else 0.0


def _reached_q() -> Q:
    digital = Q(state__in=[DeliveryState.SENT, DeliveryState.DELIVERED]) & ~Q(channel="paper")
    return digital | Q(channel="paper", state=DeliveryState.DELIVERED)


def targeted_households(message: Message) -> QuerySet:
    return message.deliveries.filter(household__isnull=False).values("household_id").distinct()


def reached_households(message: Message) -> set[int]:
    by_delivery = message.deliveries.filter(_reached_q(), household__isnull=False)
    ids = set(by_delivery.values_list("household_id", flat=True))
    return ids | set(
        Acknowledgement.objects.filter(message=message).values_list("household_id", flat=True)
    )


def reach_of(message: Message) -> Reach:
    targeted = set(targeted_households(message).values_list("household_id", flat=True))
    reached = reached_households(message) & targeted
    acked = Acknowledgement.objects.filter(message=message).count()
    by_channel: dict[str, dict[str, int]] = {}
    rows = message.deliveries.values("channel", "state").annotate(n=Count("id"))
    for row in rows.order_by("channel", "state"):
        by_channel.setdefault(row["channel"], {})[row["state"]] = row["n"]
    return Reach(len(targeted), len(reached), acked, by_channel, _by_district(targeted, reached))


def _by_district(targeted: set[int], reached: set[int]) -> list[DistrictReach]:
    field = "district__name_en" if get_language() == "en" else "district__name"
    names = dict(Household.objects.filter(pk__in=targeted).values_list("pk", field))
    totals, hits = Counter(names.values()), Counter(names[h] for h in reached if h in names)
    return [DistrictReach(name, totals[name], hits[name]) for name in sorted(totals)]


def unreached(message: Message) -> QuerySet[Household]:
    """Households targeted but not reached, by 区 and 組, for the paper or visit list."""
    by_delivery = message.deliveries.filter(_reached_q(), household__isnull=False)
    acked = Acknowledgement.objects.filter(message=message)
    return (
        Household.objects.filter(pk__in=targeted_households(message))
        .exclude(pk__in=by_delivery.values("household_id"))
        .exclude(pk__in=acked.values("household_id"))
        .select_related("district", "kumi", "address", "head")
        .order_by("district__order", "kumi__number", "number")
    )


def paper_delivered(message: Message, household_ids: list[int]) -> int:
    """Staff record that the letter or visit reached these households."""
    return Delivery.objects.filter(
        message=message, channel="paper", household_id__in=household_ids
    ).update(state=DeliveryState.DELIVERED)
