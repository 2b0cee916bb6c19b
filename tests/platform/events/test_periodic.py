"""The worker's clock: each registered job runs once its interval has passed, a failing job
does not stop the others, and the apps' sweeps are registered."""

from __future__ import annotations

import pytest

from musubi.platform.events import periodic


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(periodic, "_JOBS", {})
    calls: list[str] = []

    @periodic.every(60)
    def remind() -> int:
        calls.append("remind")
        return 1

    @periodic.every(10)
    def broken() -> int:
        calls.append("broken")
        raise RuntimeError("provider down")

    return calls


def test_jobs_run_when_their_interval_has_passed(clock, db):
    first = periodic.run_due(now=1000.0)
    assert clock == ["broken", "remind"]  # the failure did not stop the other job
    assert list(first.values()) == [1]
    periodic.run_due(now=1030.0)  # 30 s later: only the 10 s job is due again
    assert clock == ["broken", "remind", "broken"]
    periodic.run_due(now=1060.0)
    assert clock.count("remind") == 2


def test_the_apps_sweeps_are_on_the_clock():
    names = {job.name for job in periodic.jobs()}
    assert "musubi.community.circulars.notifications.send_due_reminders" in names
    assert "musubi.platform.payments.services.expire_unpaid" in names
    assert "musubi.citizen.bookings.tasks.sweep_unpaid" in names
    assert "musubi.citizen.bookings.tasks.draw_due" in names
