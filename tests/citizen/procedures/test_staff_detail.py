"""An application's staff page: the answers, each action through the page, stale edits,
assignment and internal comments."""

from __future__ import annotations

from django.test import Client

from musubi.citizen.procedures.models import Application, Status
from tests.citizen.procedures.backoffice import build_world, sign_in


def _url(app: Application, action: str = "") -> str:
    return f"/procedures/staff/{app.pk}/{action + '/' if action else ''}"


def _act(client: Client, app: Application, to: str, message: str = "", version=None):
    data = {"to_status": to, "message": message, "expected_version": version or app.version}
    return client.post(_url(app, "act"), data)


def test_detail_shows_answers_with_the_children_as_a_table(db, client):
    world = build_world()
    app = world.submit()
    page = sign_in(client, world.clerk).get(_url(app)).content.decode()
    assert "駒ヶ根 花子" in page
    assert '<caption class="visually-hidden">子ども</caption>' in page
    assert "一郎" in page and "二郎" in page
    assert "電子署名はありません" in page
    assert app.receipt_number in page


def test_each_action_through_the_pages(db, client):
    world = build_world()
    app = world.submit()
    boss = sign_in(client, world.supervisor)
    assert _act(boss, app, Status.RECEIVED).status_code == 302
    app.refresh_from_db()
    assert _act(boss, app, Status.IN_REVIEW).status_code == 302
    app.refresh_from_db()
    assert _act(boss, app, Status.APPROVED).status_code == 302
    app.refresh_from_db()
    assert _act(boss, app, Status.COMPLETED).status_code == 302
    app.refresh_from_db()
    assert app.status == Status.COMPLETED
    history = [(t.from_status, t.to_status) for t in app.transitions.all()]
    assert history[-1] == (Status.APPROVED, Status.COMPLETED)
    assert app.completed_at is not None


def test_correction_request_needs_a_message_and_keeps_what_was_typed(db, client):
    world = build_world()
    app = world.move(world.submit(), Status.RECEIVED)
    clerk = sign_in(client, world.clerk)
    refused = _act(clerk, app, Status.CORRECTION_REQUESTED, message="  ")
    assert refused.status_code == 409
    assert "理由を入力してください" in refused.content.decode()
    app.refresh_from_db()
    assert app.status == Status.RECEIVED
    done = _act(clerk, app, Status.CORRECTION_REQUESTED, message="口座番号を確認してください")
    assert done.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.CORRECTION_REQUESTED
    assert app.transitions.last().message == "口座番号を確認してください"


def test_reject_with_reasons(db, client):
    world = build_world()
    app = world.move(world.submit(), Status.RECEIVED, Status.IN_REVIEW)
    boss = sign_in(client, world.supervisor)
    assert _act(boss, app, Status.REJECTED, message="所得制限を超えています").status_code == 302
    app.refresh_from_db()
    assert app.status == Status.REJECTED
    assert app.transitions.last().message == "所得制限を超えています"


def test_a_clerk_cannot_approve_even_by_forging_the_post(db, client):
    world = build_world()
    app = world.move(world.submit(), Status.RECEIVED, Status.IN_REVIEW)
    clerk = sign_in(client, world.clerk)
    page = clerk.get(_url(app)).content.decode()
    assert 'value="approved"' not in page
    refused = _act(clerk, app, Status.APPROVED)
    assert refused.status_code == 409
    assert "権限がありません" in refused.content.decode()
    app.refresh_from_db()
    assert app.status == Status.IN_REVIEW


def test_stale_edit_second_staff_gets_the_message_and_nothing_is_overwritten(db):
    world = build_world()
    app = world.move(world.submit(), Status.RECEIVED)
    first, second = sign_in(Client(), world.clerk), sign_in(Client(), world.clerk2)
    shown = app.version  # both pages were loaded at this version
    loaded_at = "2000-01-01T00:00:00+00:00"
    assert _act(first, app, Status.IN_REVIEW, version=shown).status_code == 302
    stale = second.post(
        _url(app, "act"),
        {
            "to_status": Status.CORRECTION_REQUESTED,
            "message": "書類が不足しています",
            "expected_version": shown,
            "loaded_at": loaded_at,
        },
    )
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "他の職員により更新されています" in page
    assert "書類が不足しています</textarea>" in page  # what was typed is kept
    assert "受付済み → 審査中" in page  # what changed, and by whom
    app.refresh_from_db()
    assert app.status == Status.IN_REVIEW
    assert app.transitions.count() == 3


def test_assign_to_me_to_a_colleague_and_stale_assignment(db):
    world = build_world()
    app = world.submit()
    first, second = sign_in(Client(), world.clerk), sign_in(Client(), world.clerk2)
    version = app.version
    assert (
        first.post(_url(app, "assign"), {"assignee": "me", "expected_version": version}).status_code
        == 302
    )
    stale = second.post(_url(app, "assign"), {"assignee": "me", "expected_version": version})
    assert stale.status_code == 409
    app.refresh_from_db()
    assert app.assignee == world.clerk
    moved = first.post(
        _url(app, "assign"), {"assignee": str(world.clerk2.pk), "expected_version": app.version}
    )
    assert moved.status_code == 302
    app.refresh_from_db()
    assert app.assignee == world.clerk2
    outsider = first.post(
        _url(app, "assign"), {"assignee": str(world.outsider.pk), "expected_version": app.version}
    )
    assert "担当課の職員だけ" in outsider.content.decode()


def test_internal_comments(db, client):
    world = build_world()
    app = world.submit()
    clerk = sign_in(client, world.clerk)
    empty = clerk.post(_url(app, "comment"), {"text": " "})
    assert empty.status_code == 409
    assert "コメントを入力してください" in empty.content.decode()
    assert clerk.post(_url(app, "comment"), {"text": "電話で確認済み"}).status_code == 302
    assert app.comments.get().text == "電話で確認済み"
    assert "電話で確認済み" in clerk.get(_url(app)).content.decode()


def test_bad_action_input_is_a_clear_message_not_a_500(db, client):
    world = build_world()
    app = world.submit()
    clerk = sign_in(client, world.clerk)
    response = clerk.post(_url(app, "act"), {"to_status": "flying", "expected_version": "x"})
    assert response.status_code == 409
    assert "操作の指定が正しくありません" in response.content.decode()


def test_another_departments_staff_cannot_act(db, client):
    world = build_world()
    app = world.submit()
    other = sign_in(client, world.outsider)
    assert _act(other, app, Status.RECEIVED).status_code == 404
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
