"""The explicit table of allowed status changes of an application, as data.

``(from, to) → Rule``: who may make the move (the applicant, or staff holding a permission in
the application's department), whether a message is required (差戻し and 却下 must say why),
whether the applicant sees it and is told by email. Anything not in the table is refused.

Moves into ``submitted`` happen only through ``services.submit`` / ``services.resubmit``
(they validate the data); ``services.transition`` refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass

from musubi.citizen.procedures.models import Status

APPLICANT = "applicant"
PROCESS = "procedures.process"
DECIDE = "procedures.decide"
COUNTER = "procedures.counter"


@dataclass(frozen=True)
class Rule:
    """Who may make a move (``APPLICANT`` or a permission code) and what it must carry."""

    who: tuple[str, ...]
    message_required: bool = False
    visible_to_applicant: bool = True
    notify_applicant: bool = False
    via_submit: bool = False

    @property
    def by_staff(self) -> bool:
        return any(who != APPLICANT for who in self.who)


TABLE: dict[tuple[str, str], Rule] = {
    (Status.DRAFT, Status.SUBMITTED): Rule(
        (APPLICANT, COUNTER), notify_applicant=True, via_submit=True
    ),
    (Status.SUBMITTED, Status.RECEIVED): Rule((PROCESS,), notify_applicant=True),
    (Status.RECEIVED, Status.IN_REVIEW): Rule((PROCESS,)),
    (Status.RECEIVED, Status.CORRECTION_REQUESTED): Rule(
        (PROCESS,), message_required=True, notify_applicant=True
    ),
    (Status.IN_REVIEW, Status.CORRECTION_REQUESTED): Rule(
        (PROCESS,), message_required=True, notify_applicant=True
    ),
    (Status.CORRECTION_REQUESTED, Status.SUBMITTED): Rule(
        (APPLICANT, COUNTER), notify_applicant=True, via_submit=True
    ),
    (Status.IN_REVIEW, Status.APPROVED): Rule((DECIDE,), notify_applicant=True),
    (Status.IN_REVIEW, Status.REJECTED): Rule(
        (DECIDE,), message_required=True, notify_applicant=True
    ),
    (Status.APPROVED, Status.COMPLETED): Rule((DECIDE,), notify_applicant=True),
    (Status.DRAFT, Status.WITHDRAWN): Rule((APPLICANT, COUNTER)),
    (Status.SUBMITTED, Status.WITHDRAWN): Rule((APPLICANT,), notify_applicant=True),
    (Status.CORRECTION_REQUESTED, Status.WITHDRAWN): Rule((APPLICANT,), notify_applicant=True),
}


def rule_for(from_status: str, to_status: str) -> Rule | None:
    return TABLE.get((from_status, to_status))


def next_statuses(from_status: str) -> list[str]:
    """Every status reachable in one move from ``from_status`` (for buttons and bulk actions)."""
    return [to for (frm, to) in TABLE if frm == from_status]
