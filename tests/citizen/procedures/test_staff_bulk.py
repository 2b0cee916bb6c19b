"""Bulk actions on the inbox: a confirmation page first, then a result per application."""

from __future__ import annotations

from musubi.citizen.procedures import services
from musubi.citizen.procedures.models import Status
from tests.citizen.procedures.backoffice import build_world, sign_in

BULK = "/procedures/staff/bulk/"


def _post(client, action, apps, confirmed=False, versions=None):
    data = {"action": action, "ids": [str(a.pk) for a in apps]}
    for app in apps:
        data[f"version_{app.pk}"] = str((versions or {}).get(app.pk, app.version))
    if confirmed:
        data["confirmed"] = "yes"
    return client.post(BULK, data)


def test_confirmation_lists_what_will_happen_and_changes_nothing(db, client):
    world = build_world()
    fresh = world.submit()
    received = world.move(world.submit(), Status.RECEIVED)
    clerk = sign_in(client, world.clerk)
    page = _post(clerk, "receive", [fresh, received])
    assert page.status_code == 200
    plan = {app.pk: problem for app, _v, problem in page.context["plan"]}
    assert plan[fresh.pk] == ""
    assert "行えません" in plan[received.pk]
    fresh.refresh_from_db()
    assert fresh.status == Status.SUBMITTED


def test_mixed_outcomes_are_reported_per_application(db, client):
    world = build_world()
    ok = world.submit()
    not_allowed = world.move(world.submit(), Status.RECEIVED)
    stale = world.submit()
    shown = stale.version
    services.assign(stale, world.clerk2, actor=world.clerk2, expected_version=shown)
    clerk = sign_in(client, world.clerk)
    result = _post(
        clerk, "receive", [ok, not_allowed, stale], confirmed=True, versions={stale.pk: shown}
    )
    assert result.status_code == 200
    outcome = {app.pk: error for app, error in result.context["results"]}
    assert outcome[ok.pk] == ""
    assert "変更できません" in outcome[not_allowed.pk]
    assert "他の職員により更新されています" in outcome[stale.pk]
    assert result.context["done"] == 1 and result.context["failed"] == 2
    ok.refresh_from_db()
    stale.refresh_from_db()
    assert ok.status == Status.RECEIVED
    assert stale.status == Status.SUBMITTED


def test_bulk_assign_to_me_and_start_review(db, client):
    world = build_world()
    apps = [world.move(world.submit(), Status.RECEIVED) for _ in range(3)]
    clerk = sign_in(client, world.clerk)
    assert _post(clerk, "assign_me", apps, confirmed=True).context["failed"] == 0
    for app in apps:
        app.refresh_from_db()
        assert app.assignee == world.clerk
    assert _post(clerk, "start_review", apps, confirmed=True).context["done"] == 3


def test_other_departments_applications_are_ignored(db, client):
    world = build_world()
    app = world.submit()
    other = sign_in(client, world.outsider)
    response = _post(other, "receive", [app], confirmed=True)
    assert response.status_code == 302  # nothing selectable: back to the inbox with a message
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_unknown_action_goes_back_with_a_message(db, client):
    world = build_world()
    app = world.submit()
    response = _post(sign_in(client, world.clerk), "delete_everything", [app])
    assert response.status_code == 302
    assert "申請と操作を選んでください" in client.get(response["Location"]).content.decode()
