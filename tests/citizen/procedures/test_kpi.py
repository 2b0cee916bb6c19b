"""KPI figures computed from applications with known timings."""

from __future__ import annotations

import datetime as dt

import pytest

from musubi.citizen.procedures import kpi
from musubi.citizen.procedures.models import Application, Channel, Procedure, Status

T0 = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)
HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)


def make(procedure, channel, *, first_action=None, completed=None, submitted=T0):
    return Application.objects.create(
        procedure=procedure,
        form_version=procedure.versions.get(),
        department=procedure.department,
        channel=channel,
        status=Status.COMPLETED if completed else Status.SUBMITTED,
        submitted_at=submitted,
        first_staff_action_at=submitted + first_action if first_action else None,
        completed_at=submitted + completed if completed else None,
    )


def test_percentiles():
    days = [dt.timedelta(days=n) for n in (5, 1, 3, 2, 4, 10, 6, 7, 8, 9)]
    assert kpi.median(days) == dt.timedelta(days=5, hours=12)
    assert kpi.percentile(days, 90) == dt.timedelta(days=9)
    assert kpi.percentile(days[:1], 90) == dt.timedelta(days=5)
    assert kpi.median([]) is None and kpi.percentile([], 90) is None


def test_figures_per_procedure(procedure):
    for hours, days in ((1, 2), (2, 4), (3, 6), (10, 20)):
        make(procedure, Channel.ONLINE, first_action=hours * HOUR, completed=days * DAY)
    make(procedure, Channel.COUNTER, first_action=5 * HOUR)
    make(procedure, Channel.ONLINE)  # not yet touched
    make(procedure, Channel.ONLINE, submitted=T0 - 60 * DAY, completed=DAY)  # outside the period
    untracked = Procedure.objects.create(
        code="x", name_ja="x", name_en="x", category="other", department=procedure.department,
        kpi_tracked=False,
    )  # fmt: skip
    (figures,) = kpi.procedure_kpis(since=T0 - DAY, until=T0 + DAY)
    assert figures.procedure == procedure and untracked != figures.procedure
    assert figures.submitted == 6 and figures.completed == 4
    assert figures.median_to_completion == 5 * DAY
    assert figures.p90_to_completion == 20 * DAY
    assert figures.median_to_first_action == 3 * HOUR
    assert figures.p90_to_first_action == 10 * HOUR
    assert figures.online_share == pytest.approx(5 / 6)
    assert figures.counter_share == pytest.approx(1 / 6)
    assert figures.share(Channel.POST) == 0


def test_no_applications_no_figures(procedure):
    (figures,) = kpi.procedure_kpis()
    assert figures.submitted == 0 and figures.online_share is None
    assert figures.median_to_completion is None
