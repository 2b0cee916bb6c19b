"""The transition table: every allowed move by the right actor, and refusals for the others."""

from __future__ import annotations

import pytest

from musubi.citizen.procedures import services, transitions
from musubi.citizen.procedures.models import Application, Status, Transition
from musubi.citizen.procedures.transitions import APPLICANT, COUNTER, DECIDE, PROCESS
from musubi.platform.accounts.models import Role

STAFF_MOVES = [
    (frm, to, rule)
    for (frm, to), rule in transitions.TABLE.items()
    if not rule.via_submit and {PROCESS, DECIDE} & set(rule.who)
]
APPLICANT_MOVES = [
    (frm, to) for (frm, to), rule in transitions.TABLE.items() if APPLICANT in rule.who
    and not rule.via_submit
]  # fmt: skip


def put(application: Application, status: str) -> Application:
    """Place an application in ``status`` directly (the moves themselves are under test)."""
    Application.objects.filter(pk=application.pk).update(status=status)
    application.refresh_from_db()
    return application


def test_table_lists_the_lifecycle_of_the_issue():
    moves = set(transitions.TABLE)
    assert (Status.IN_REVIEW, Status.CORRECTION_REQUESTED) in moves
    assert (Status.CORRECTION_REQUESTED, Status.SUBMITTED) in moves
    assert (Status.APPROVED, Status.COMPLETED) in moves
    assert transitions.TABLE[(Status.IN_REVIEW, Status.REJECTED)].message_required
    assert transitions.TABLE[(Status.IN_REVIEW, Status.CORRECTION_REQUESTED)].message_required
    assert not transitions.TABLE[(Status.IN_REVIEW, Status.APPROVED)].message_required
    assert {to for (frm, to) in moves if frm == Status.DRAFT} == {
        Status.SUBMITTED,
        Status.WITHDRAWN,
    }


@pytest.mark.parametrize(("frm", "to", "rule"), STAFF_MOVES, ids=lambda v: str(v)[:20])
def test_each_staff_move_by_the_permitted_role(submitted, staff, frm, to, rule):
    clerk, supervisor = staff(Role.CLERK), staff(Role.SUPERVISOR)
    application = put(submitted, frm)
    actor = supervisor if DECIDE in rule.who else clerk
    services.transition(
        application, to, actor=actor, message="理由", expected_version=application.version
    )
    application.refresh_from_db()
    assert application.status == to
    last = application.transitions.last()
    assert (last.from_status, last.to_status, last.actor) == (frm, to, actor)
    assert last.message == "理由"


@pytest.mark.parametrize(
    ("frm", "to"),
    [(f, t) for f, t, rule in STAFF_MOVES if DECIDE in rule.who],
)
def test_a_clerk_may_not_decide(submitted, staff, frm, to):
    application = put(submitted, frm)
    with pytest.raises(services.TransitionNotAllowed):
        services.transition(
            application, to, actor=staff(Role.CLERK), message="x",
            expected_version=application.version,
        )  # fmt: skip
    assert Application.objects.get(pk=application.pk).status == frm


@pytest.mark.parametrize(("frm", "to"), [(f, t) for f, t, _rule in STAFF_MOVES])
def test_the_applicant_may_not_make_staff_moves(submitted, resident, frm, to):
    application = put(submitted, frm)
    with pytest.raises(services.TransitionNotAllowed):
        services.transition(
            application, to, actor=resident, message="x", expected_version=application.version
        )


@pytest.mark.parametrize(("frm", "to"), [(f, t) for f, t, _rule in STAFF_MOVES])
def test_staff_of_another_department_may_not(submitted, make_staff, frm, to):
    outsider = make_staff(
        "fukushi", "procedures.view", "procedures.process", "procedures.decide", role=Role.HEAD
    )
    application = put(submitted, frm)
    with pytest.raises(services.TransitionNotAllowed):
        services.transition(
            application, to, actor=outsider, message="x", expected_version=application.version
        )


@pytest.mark.parametrize(("frm", "to"), APPLICANT_MOVES)
def test_the_applicant_withdraws(submitted, resident, staff, frm, to):
    application = put(submitted, frm)
    services.transition(application, to, actor=resident, expected_version=application.version)
    assert Application.objects.get(pk=application.pk).status == Status.WITHDRAWN
    with pytest.raises(services.TransitionNotAllowed):  # staff cannot withdraw for them
        other = put(submitted, frm)
        services.transition(other, to, actor=staff(Role.SUPERVISOR), expected_version=other.version)


@pytest.mark.parametrize(
    ("frm", "to"),
    [
        (Status.SUBMITTED, Status.APPROVED),
        (Status.SUBMITTED, Status.COMPLETED),
        (Status.RECEIVED, Status.APPROVED),
        (Status.COMPLETED, Status.IN_REVIEW),
        (Status.REJECTED, Status.APPROVED),
        (Status.WITHDRAWN, Status.SUBMITTED),
        (Status.APPROVED, Status.WITHDRAWN),
        (Status.IN_REVIEW, Status.WITHDRAWN),
    ],
)
def test_moves_not_in_the_table_are_refused_for_everyone(submitted, staff, resident, frm, to):
    application = put(submitted, frm)
    for actor in (resident, staff(Role.SUPERVISOR)):
        with pytest.raises(services.TransitionNotAllowed):
            services.transition(
                application, to, actor=actor, message="x", expected_version=application.version
            )
    assert Transition.objects.filter(application=application).count() == 1  # the submission


@pytest.mark.parametrize("to", [Status.CORRECTION_REQUESTED, Status.REJECTED])
def test_a_reason_is_required(submitted, staff, to):
    application = put(submitted, Status.IN_REVIEW)
    with pytest.raises(services.TransitionNotAllowed, match="理由を入力"):
        services.transition(
            application, to, actor=staff(Role.SUPERVISOR), message="  ",
            expected_version=application.version,
        )  # fmt: skip
    assert Application.objects.get(pk=application.pk).status == Status.IN_REVIEW


def test_submission_goes_only_through_submit(submitted, staff, resident):
    application = put(submitted, Status.CORRECTION_REQUESTED)
    with pytest.raises(services.TransitionNotAllowed, match="申請内容"):
        services.transition(
            application, Status.SUBMITTED, actor=resident, expected_version=application.version
        )


def test_counter_permission_acts_only_on_counter_applications(procedure, submitted, staff):
    clerk = staff(Role.CLERK)
    assert COUNTER in transitions.TABLE[(Status.DRAFT, Status.WITHDRAWN)].who
    online = put(submitted, Status.DRAFT)
    with pytest.raises(services.TransitionNotAllowed):
        services.transition(online, Status.WITHDRAWN, actor=clerk, expected_version=online.version)
    at_counter = services.start_application(
        procedure, applicant=None, channel="counter", actor=clerk
    )
    services.transition(
        at_counter, Status.WITHDRAWN, actor=clerk, expected_version=at_counter.version
    )
    assert Application.objects.get(pk=at_counter.pk).status == Status.WITHDRAWN


def test_allowed_transitions_offer_what_the_actor_may_do(submitted, staff, resident):
    assert services.allowed_transitions(submitted, staff(Role.CLERK)) == [Status.RECEIVED]
    assert services.allowed_transitions(submitted, resident) == [Status.WITHDRAWN]
    application = put(submitted, Status.IN_REVIEW)
    assert set(services.allowed_transitions(application, staff(Role.SUPERVISOR))) == {
        Status.CORRECTION_REQUESTED,
        Status.APPROVED,
        Status.REJECTED,
    }
