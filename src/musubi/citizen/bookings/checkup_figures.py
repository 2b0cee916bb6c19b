"""The figures of a check-up programme: applications by channel, sessions booked, check-ups
had, and the share of applications made online (strategy 行政DX ⑧'s KPI, オンラインによる申込率
50%以上). Kept apart from ``checkups`` (the rules), which only writes what is counted here."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from musubi.citizen.bookings.checkup_models import Programme
from musubi.citizen.bookings.models import HOLDING, Channel, Status


@dataclass
class Figures:
    rows: list[dict[str, Any]]
    applications: int
    online: int

    @property
    def online_share(self) -> float | None:
        """Share of applications made online, in percent (None before the first one)."""
        return round(100 * self.online / self.applications, 1) if self.applications else None


def figures(programme: Programme) -> Figures:
    """Per check-up: applications by channel, sessions booked, check-ups had; and the share
    of applications made online (KPI: オンラインによる申込率 50%以上)."""
    rows, channels = [], Counter()
    for checkup in programme.types.all():
        applied = checkup.applications.select_related("booking")
        by_channel = Counter(a.channel for a in applied)
        bookings = [a.booking for a in applied if a.booking]
        rows.append(
            {
                "checkup": checkup,
                "applications": sum(by_channel.values()),
                "web": by_channel[Channel.WEB],
                "phone": by_channel[Channel.PHONE],
                "counter": by_channel[Channel.COUNTER],
                "booked": sum(b.status in HOLDING for b in bookings),
                "examined": sum(b.status == Status.CHECKED_IN for b in bookings),
            }
        )
        channels += by_channel
    return Figures(rows, sum(channels.values()), channels[Channel.WEB])
