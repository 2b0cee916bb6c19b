"""Submitting, correcting and deciding: server-side validation, due dates, events and email."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from musubi.citizen.procedures import services
from musubi.citizen.procedures.models import (
    Application,
    ApplicationAttachment,
    ReceiptCounter,
    Status,
    Transition,
)
from musubi.platform.accounts.models import Role, User
from musubi.platform.events.services import subscribe
from musubi.platform.files import services as files
from musubi.platform.notify import worker as notify_worker
from musubi.platform.notify.models import Delivery


def draft_of(procedure, resident):
    return services.start_application(procedure, applicant=resident, channel="online")


def nothing_written(application: Application) -> None:
    fresh = Application.objects.get(pk=application.pk)
    assert fresh.status == Status.DRAFT and fresh.receipt_number is None and fresh.data == {}
    assert not Transition.objects.filter(application=application).exists()
    assert not ApplicationAttachment.objects.filter(application=application).exists()
    assert not ReceiptCounter.objects.exists()
    assert not Delivery.objects.exists()  # the status message was rolled back with the rest


def test_submit_numbers_dates_and_records(good, procedure, resident, id_photo):
    with time_machine.travel(dt.datetime(2027, 3, 31, 23, 30, tzinfo=dt.UTC)):  # 4月1日 in Tokyo
        application = services.submit(
            draft_of(procedure, resident),
            dict(good, applicant_kana={"family": "こまがね", "given": "ﾊﾅｺ"}),
            actor=resident,
            attachments=[("id_doc", id_photo)],
        )
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.receipt_number == "KMG-2027-000001"
    assert application.due_date == dt.date(2027, 4, 15)  # 14 calendar days from 4月1日
    assert application.data["applicant_kana"] == {"family": "コマガネ", "given": "ハナコ"}
    assert application.applicant_name == "駒ヶ根 花子"
    assert [a.requirement for a in application.attachments.all()] == ["id_doc"]
    (move,) = application.transitions.all()
    assert (move.from_status, move.to_status, move.actor) == (
        Status.DRAFT,
        Status.SUBMITTED,
        resident,
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"applicant_kana": {"family": "Komagane", "given": "ハナコ"}},
            "applicant_kana",
            "カタカナ",
        ),
        ({"birthdate": "2999-01-01"}, "birthdate", ""),
        ({"birthdate": "令和99年1月1日"}, "birthdate", ""),
        ({"copies": 11}, "copies", ""),
        ({"applicant_name": None}, "applicant_name", ""),
    ],
)
def test_submit_validates_on_the_server(
    good, procedure, resident, id_photo, change, field, message
):
    application = draft_of(procedure, resident)
    with pytest.raises(services.InvalidSubmission) as caught:
        services.submit(
            application, {**good, **change}, actor=resident, attachments=[("id_doc", id_photo)]
        )
    names = [name for name in caught.value.errors if name.startswith(field)]
    assert names, caught.value.errors
    assert message in caught.value.errors[names[0]]
    nothing_written(application)


def test_wrongly_shaped_data_is_refused(procedure, resident):
    application = draft_of(procedure, resident)
    with pytest.raises(services.InvalidSubmission) as caught:
        services.submit(application, ["not", "a", "dict"], actor=resident)
    assert "form" in caught.value.errors
    nothing_written(application)


def test_a_missing_required_document_is_named(good, procedure, resident):
    application = draft_of(procedure, resident)
    with pytest.raises(services.InvalidSubmission) as caught:
        services.submit(application, dict(good), actor=resident)
    assert "本人確認書類" in caught.value.errors["attachments:id_doc"]
    nothing_written(application)


def test_someone_elses_file_cannot_be_attached(good, procedure, resident, id_photo):
    other = User.objects.create_user(username="x@example.jp", email="x@example.jp", password="p")
    stranger_file = files.store_bytes(other, "id.png", files.read_content(id_photo))
    application = draft_of(procedure, resident)
    with pytest.raises(services.InvalidSubmission) as caught:
        services.submit(
            application, dict(good), actor=resident, attachments=[("id_doc", stranger_file)]
        )
    assert "attachments:id_doc" in caught.value.errors
    nothing_written(application)


def test_a_broken_signature_stores_nothing(good, procedure, resident, id_photo):
    application = draft_of(procedure, resident)
    with pytest.raises(services.InvalidSubmission) as caught:
        services.submit(
            application, dict(good), actor=resident, attachments=[("id_doc", id_photo)],
            signature=b"0\x80 not a CMS",
        )  # fmt: skip
    assert "signature" in caught.value.errors
    nothing_written(application)


def test_submitting_twice_is_refused(good, submitted, resident):
    with pytest.raises(services.TransitionNotAllowed):
        services.submit(submitted, dict(good), actor=resident)


def test_only_the_applicant_submits_an_online_application(
    good, procedure, resident, staff, id_photo
):
    application = draft_of(procedure, resident)
    with pytest.raises(services.TransitionNotAllowed):
        services.submit(
            application, dict(good), actor=staff(Role.CLERK), attachments=[("id_doc", id_photo)]
        )
    nothing_written(application)


def test_stale_edit_raises_and_writes_nothing(submitted, staff):
    clerk = staff(Role.CLERK)
    loaded_by_a = Application.objects.get(pk=submitted.pk)
    loaded_by_b = Application.objects.get(pk=submitted.pk)
    services.transition(
        loaded_by_a, Status.RECEIVED, actor=clerk, expected_version=loaded_by_a.version
    )
    with pytest.raises(services.StaleEdit) as caught:
        services.transition(
            loaded_by_b, Status.RECEIVED, actor=clerk, expected_version=loaded_by_b.version
        )
    assert "他の職員" in caught.value.message
    fresh = Application.objects.get(pk=submitted.pk)
    assert fresh.version == loaded_by_a.version == submitted.version + 1
    assert fresh.transitions.count() == 2
    with pytest.raises(services.StaleEdit):
        services.assign(fresh, clerk, actor=clerk, expected_version=submitted.version)
    assert Application.objects.get(pk=submitted.pk).assignee is None


def test_correction_round_trip_moves_the_due_date(good, procedure, resident, id_photo, staff):
    clerk, supervisor = staff(Role.CLERK), staff(Role.SUPERVISOR)
    with time_machine.travel(dt.datetime(2027, 5, 1, 1, 0, tzinfo=dt.UTC), tick=False) as clock:
        app = services.submit(
            draft_of(procedure, resident), dict(good), actor=resident,
            attachments=[("id_doc", id_photo)],
        )  # fmt: skip
        assert app.due_date == dt.date(2027, 5, 15)
        services.transition(app, Status.RECEIVED, actor=clerk, expected_version=app.version)
        services.transition(
            app, Status.CORRECTION_REQUESTED, actor=clerk, message="フリガナを確認してください",
            expected_version=app.version,
        )  # fmt: skip
        clock.shift(dt.timedelta(days=5))
        services.resubmit(
            app, dict(good, copies=3), actor=resident, attachments=[("id_doc", id_photo)]
        )
        app.refresh_from_db()
        assert app.status == Status.SUBMITTED and app.data["copies"] == 3
        assert app.due_date == dt.date(2027, 5, 20)  # 5 days waiting for the resident don't count
        assert app.receipt_number == "KMG-2027-000001"
        for step in (Status.RECEIVED, Status.IN_REVIEW, Status.APPROVED, Status.COMPLETED):
            actor = clerk if step in (Status.RECEIVED, Status.IN_REVIEW) else supervisor
            services.transition(app, step, actor=actor, expected_version=app.version)
    app.refresh_from_db()
    assert app.completed_at and app.closed_at and app.first_staff_action_at
    assert [t.to_status for t in app.transitions.all()] == [
        "submitted", "received", "correction_requested", "submitted", "received",
        "in_review", "approved", "completed",
    ]  # fmt: skip


def test_events_are_published_and_the_applicant_is_emailed(
    submitted, staff, resident, django_capture_on_commit_callbacks
):
    seen = []

    @subscribe("procedures.application_correction_requested")
    def remember(**payload):
        seen.append(payload)

    clerk = staff(Role.CLERK)
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(
            submitted, Status.RECEIVED, actor=clerk, expected_version=submitted.version
        )
        services.transition(
            submitted, Status.CORRECTION_REQUESTED, actor=clerk, message="写真が不鮮明です",
            expected_version=submitted.version,
        )  # fmt: skip
    assert mail.outbox == []  # the request only queued the messages in the hub's outbox
    notify_worker.run_once()
    assert seen[-1]["application_id"] == submitted.pk
    assert seen[-1]["receipt_number"] == submitted.receipt_number
    assert seen[-1]["message"] == "写真が不鮮明です"
    # the fixture's submission queued its message in its own transaction, then one per move
    assert len(mail.outbox) == 3
    assert mail.outbox[-1].to == [resident.email]
    assert submitted.receipt_number in mail.outbox[-1].body
    assert "写真が不鮮明です" in mail.outbox[-1].body
    assert "差戻し" in mail.outbox[-1].body


def test_the_move_into_review_sends_no_email(submitted, staff, django_capture_on_commit_callbacks):
    clerk = staff(Role.CLERK)
    services.transition(submitted, Status.RECEIVED, actor=clerk, expected_version=submitted.version)
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(
            submitted, Status.IN_REVIEW, actor=clerk, expected_version=submitted.version
        )
    assert mail.outbox == []


def test_assignment_and_comments(submitted, staff, make_staff, resident):
    clerk = staff(Role.CLERK)
    outsider = make_staff("fukushi", "procedures.view")
    with pytest.raises(services.TransitionNotAllowed):
        services.assign(submitted, outsider, actor=clerk, expected_version=submitted.version)
    services.assign(submitted, clerk, actor=clerk, expected_version=submitted.version)
    submitted.refresh_from_db()
    assert submitted.assignee == clerk and submitted.first_staff_action_at is not None
    note = services.add_comment(submitted, "  電話で確認済み ", actor=clerk)
    assert note.text == "電話で確認済み"
    for who in (resident, outsider):
        with pytest.raises(services.TransitionNotAllowed):
            services.add_comment(submitted, "x", actor=who)
    with pytest.raises(services.InvalidSubmission):
        services.add_comment(submitted, " ", actor=clerk)


def test_applications_for_and_can_view(submitted, resident, staff, make_staff):
    assert list(services.applications_for(resident)) == [submitted]
    assert services.can_view(resident, submitted)
    assert services.can_view(staff(Role.CLERK), submitted)
    assert not services.can_view(make_staff("fukushi", "procedures.view"), submitted)


def test_inbox_filters(good, procedure, resident, id_photo, staff, kodomo):
    clerk = staff(Role.CLERK)
    old = services.submit(
        draft_of(procedure, resident), dict(good), actor=resident,
        attachments=[("id_doc", id_photo)],
    )  # fmt: skip
    Application.objects.filter(pk=old.pk).update(due_date=dt.date(2026, 1, 5))
    other = dict(good, applicant_name={"family": "赤穂", "given": "太郎"},
                 applicant_kana={"family": "アカホ", "given": "タロウ"})  # fmt: skip
    new = services.submit(
        draft_of(procedure, resident), other, actor=resident, attachments=[("id_doc", id_photo)]
    )
    draft_of(procedure, resident)  # drafts never appear
    services.assign(new, clerk, actor=clerk, expected_version=new.version)

    def codes(**filters):
        return [a.pk for a in services.inbox(kodomo, services.InboxFilters(**filters))]

    assert codes() == [old.pk, new.pk]  # most urgent first
    assert codes(overdue=True) == [old.pk]
    assert codes(assignee=clerk) == [new.pk]
    assert codes(assignee=services.UNASSIGNED) == [old.pk]
    assert codes(text="あかほ") == [new.pk]
    assert codes(text="ｱｶﾎ ﾀﾛｳ") == [new.pk]
    assert codes(text=old.receipt_number.lower()) == [old.pk]
    assert codes(status=Status.RECEIVED) == []
    assert codes(procedure="test-procedure", status=[Status.SUBMITTED]) == [old.pk, new.pk]
    assert services.inbox([], None).count() == 0


def test_a_procedure_that_needs_a_signature_refuses_an_unsigned_online_application(
    good, procedure, resident, id_photo
):
    procedure.signature_required = True
    procedure.save()
    application = draft_of(procedure, resident)
    with pytest.raises(services.InvalidSubmission) as caught:
        services.submit(application, {**good, "copies": 0}, actor=resident)
    # reported together with the other problems, not after them
    assert {"signature", "copies", "attachments:id_doc"} <= set(caught.value.errors)
    assert "電子署名が必要" in caught.value.errors["signature"]
    nothing_written(application)


def test_at_the_counter_no_signature_is_asked_for(good, procedure, staff, id_photo):
    procedure.signature_required = True
    procedure.save()
    clerk = staff(Role.CLERK)
    application = services.start_application(
        procedure, applicant=None, channel="counter", actor=clerk
    )
    scan = files.store_bytes(clerk, "scan.png", files.read_content(id_photo))
    services.submit(application, dict(good), actor=clerk, attachments=[("id_doc", scan)])
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED
