"""The ``musubi`` command line: demo seeding is idempotent, mistakes get clear answers."""

from __future__ import annotations

import argparse
import threading

import pytest

from musubi import cli, demo
from musubi.devtools import testrun
from musubi.platform.residents.models import Resident


@pytest.mark.django_db(transaction=True)
def test_seed_demo_generates_once_then_leaves_the_city_alone(capsys):
    assert cli.main(["seed-demo"]) == 0
    first = capsys.readouterr().out
    count = Resident.objects.count()
    assert "Generated the demo city" in first and f"{count:,} residents" in first
    assert cli.main(["seed-demo"]) == 0
    assert "already present" in capsys.readouterr().out
    assert Resident.objects.count() == count
    assert "komagane-demo-2026" in demo.logins_text()


def test_unknown_test_leg_is_refused_with_the_list_of_legs(capsys):
    args = argparse.Namespace(leg=["sqlite", "nope"], all=False, pytest_args=[], jobs=2)
    assert testrun.main(args) == 2
    out = capsys.readouterr().out
    assert "unknown leg(s): nope" in out and "postgres" in out


def test_summary_fails_when_a_leg_failed_and_prints_the_plain_closing_line(capsys):
    outcomes = [testrun.Outcome("ruff", "passed", 1.0), testrun.Outcome("sqlite", "failed", 2.0)]
    assert testrun._report(outcomes) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "legs: 1 passed, 1 failed"


def test_a_leg_that_cannot_run_fails_under_all_and_is_skipped_otherwise(monkeypatch, tmp_path):
    def missing(ctx):
        raise testrun.CannotRun("no chromium here")

    monkeypatch.setitem(testrun.LEGS, "browser", missing)
    ctx = testrun.Context(tmp_path, {}, [])
    assert testrun._run_leg("browser", ctx, strict=True, prepared=True).status == "failed"
    assert testrun._run_leg("browser", ctx, strict=False, prepared=True).status == "skipped"


def test_pytest_legs_run_side_by_side_each_with_its_own_data_and_whole_log(
    monkeypatch, tmp_path, capsys
):
    both_running = threading.Barrier(2, timeout=10)

    def leg(ctx):
        both_running.wait()  # only passes when the two legs run at the same time
        print(f"data in {ctx.env['MUSUBI_DATA_DIR']}", file=ctx.out)
        return 0

    def no_chromium():
        raise testrun.Unavailable("no chromium here")

    for name in ("sqlite", "postgres"):
        monkeypatch.setitem(testrun.LEGS, name, leg)
        monkeypatch.setitem(testrun.PREREQUISITES, name, [])
    monkeypatch.setitem(testrun.PREREQUISITES, "browser", [no_chromium])
    ctx = testrun.Context(tmp_path, {"MUSUBI_DATA_DIR": "shared"}, [])
    args = argparse.Namespace(jobs=2, all=True)
    outcomes = testrun._side_by_side(["sqlite", "postgres", "browser"], ctx, args)
    assert [(o.leg, o.status) for o in outcomes] == [
        ("sqlite", "passed"), ("postgres", "passed"), ("browser", "failed"),
    ]  # fmt: skip
    assert outcomes[2].note == "no chromium here"
    printed = capsys.readouterr().out
    for name in ("sqlite", "postgres"):
        log = f"=== test leg: {name} ===\ndata in {tmp_path / name / 'var'}\n--- {name}: passed"
        assert log in printed
    assert "=== test leg: browser" not in printed  # never started


def test_unknown_subcommand_exits_with_usage(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["frobnicate"])
    assert stop.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_worker_once_runs_what_is_queued_then_stops(make_staff):
    from musubi.platform.residents.models import ImportJob, JobStatus
    from musubi.platform.residents.tasks import run_import

    job = ImportJob.objects.create(
        created_by=make_staff("shimin", "residents.import"),
        filename="broken.csv",
        dry_run=True,
        content=b"\xff\xfe not a registry file",
    )
    run_import.enqueue(job.pk)
    assert cli.main(["worker", "--once"]) == 0
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.finished_at is not None and job.errors
