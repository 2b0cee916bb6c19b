"""KPI of online procedures, computed from live data (EBPM): speed and the online share.

Per procedure (``kpi_tracked`` only), for applications submitted in a period:
time from submission to completion and to the first staff action (median and 90th
percentile, nearest-rank), and how many came online, at the counter or by post.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from musubi.citizen.procedures.models import Application, Channel, Procedure


@dataclass
class ProcedureKpi:
    procedure: Procedure
    submitted: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    to_completion: list[dt.timedelta] = field(default_factory=list, repr=False)
    to_first_action: list[dt.timedelta] = field(default_factory=list, repr=False)

    @property
    def completed(self) -> int:
        return len(self.to_completion)

    @property
    def median_to_completion(self) -> dt.timedelta | None:
        return median(self.to_completion)

    @property
    def p90_to_completion(self) -> dt.timedelta | None:
        return percentile(self.to_completion, 90)

    @property
    def median_to_first_action(self) -> dt.timedelta | None:
        return median(self.to_first_action)

    @property
    def p90_to_first_action(self) -> dt.timedelta | None:
        return percentile(self.to_first_action, 90)

    def share(self, channel: str) -> float | None:
        """Fraction of the period's applications that came through ``channel`` (None if none)."""
        return self.by_channel.get(channel, 0) / self.submitted if self.submitted else None

    @property
    def online_share(self) -> float | None:
        return self.share(Channel.ONLINE)

    @property
    def counter_share(self) -> float | None:
        return self.share(Channel.COUNTER)


def median(durations: list[dt.timedelta]) -> dt.timedelta | None:
    return statistics.median(sorted(durations)) if durations else None


def percentile(durations: list[dt.timedelta], rank: int) -> dt.timedelta | None:
    """Nearest-rank percentile: the smallest value with at least ``rank``% at or below it."""
    if not durations:
        return None
    ordered = sorted(durations)
    return ordered[max(math.ceil(rank / 100 * len(ordered)) - 1, 0)]


def procedure_kpis(
    since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[ProcedureKpi]:
    """One ``ProcedureKpi`` per tracked procedure, for applications submitted in [since, until)."""
    rows = Application.objects.filter(
        submitted_at__isnull=False, procedure__kpi_tracked=True
    ).values_list(
        "procedure_id", "channel", "submitted_at", "first_staff_action_at", "completed_at"
    )
    if since:
        rows = rows.filter(submitted_at__gte=since)
    if until:
        rows = rows.filter(submitted_at__lt=until)
    procedures = Procedure.objects.filter(kpi_tracked=True).select_related("department")
    figures = {p.pk: ProcedureKpi(p) for p in procedures}
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for procedure_id, channel, submitted_at, first_action, completed in rows.iterator():
        kpi = figures[procedure_id]
        kpi.submitted += 1
        counts[procedure_id][channel] += 1
        if first_action:
            kpi.to_first_action.append(first_action - submitted_at)
        if completed:
            kpi.to_completion.append(completed - submitted_at)
    for procedure_id, by_channel in counts.items():
        figures[procedure_id].by_channel = dict(by_channel)
    return list(figures.values())
