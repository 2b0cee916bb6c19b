"""Demo data: the shipped catalogue, published, and a few applications in various states.

Applications go through the real services (validation, receipt numbers, transitions), made by
the demo residents and the 市民課 demo staff, so the back office has something to show.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml
from django.utils import timezone
from PIL import Image

from musubi.citizen.procedures import services
from musubi.citizen.procedures.catalogue import ImportReport
from musubi.citizen.procedures.models import Application, Channel, Procedure, Status
from musubi.platform.accounts import demo as accounts_demo
from musubi.platform.accounts.models import Role, User
from musubi.platform.files import services as files
from musubi.platform.residents import services as residents

CATALOGUE = Path(__file__).resolve().parent / "data" / "catalogue.yaml"
JUMINHYO = "juminhyo-utsushi"
# the status each demo resident's 住民票 request is left in
STORIES = [Status.COMPLETED, Status.CORRECTION_REQUESTED, Status.SUBMITTED]
PATH_TO = [Status.RECEIVED, Status.IN_REVIEW, Status.APPROVED, Status.COMPLETED]


def load_catalogue() -> ImportReport:
    """Import the shipped catalogue and publish every new form version."""
    data = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    report = services.import_catalogue(data, publish=True)
    if not report.ok:
        raise RuntimeError("the shipped catalogue does not load:\n" + "\n".join(report.errors))
    return report


def _identity_scan(user: User) -> Any:
    """A small blank PNG standing in for a scanned ID card."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), "#dde").save(buffer, format="PNG")
    return files.store_bytes(user, "本人確認書類.png", buffer.getvalue(), purpose="procedures")


def _juminhyo_answers(person: Any, identity_file: Any) -> dict[str, Any]:
    """Answers as the resident would give them (registry fields are taken from the registry)."""
    address = person.household.address if person.household_id else None
    return {
        "requester_name": {"family": person.family_name, "given": person.given_name},
        "requester_kana": {"family": person.family_name_kana, "given": person.given_name_kana},
        "requester_birthdate": person.birthdate.isoformat(),
        "requester_postal_code": address.postal_code if address else "399-4192",
        "requester_address": str(address or ""),
        "requester_phone": "0265-83-2111",
        "scope": "self",
        "copies": 1,
        "purpose": "job",
        "delivery": "post",
        "identity_document": str(identity_file.pk),
        "consent": True,
    }


def _staff(role: str) -> User:
    return User.objects.get(email=accounts_demo.staff_email("shimin", role))


def _advance(application: Application, goal: str) -> None:
    clerk, supervisor = _staff(Role.CLERK), _staff(Role.SUPERVISOR)
    if goal == Status.CORRECTION_REQUESTED:
        services.transition(
            application, Status.RECEIVED, actor=clerk, expected_version=application.version
        )
        services.transition(
            application,
            Status.CORRECTION_REQUESTED,
            actor=clerk,
            message="本人確認書類の画像が読み取れません。もう一度撮影して添付してください。",
            expected_version=application.version,
        )
        return
    for step in PATH_TO[: PATH_TO.index(goal) + 1] if goal in PATH_TO else []:
        actor = clerk if step in (Status.RECEIVED, Status.IN_REVIEW) else supervisor
        services.transition(application, step, actor=actor, expected_version=application.version)


def _online_request(user: User, goal: str) -> Application | None:
    person = residents.resident_for(user)
    if person is None:
        return None
    procedure = Procedure.objects.get(code=JUMINHYO)
    application = services.start_application(procedure, applicant=user, channel=Channel.ONLINE)
    answers = _juminhyo_answers(person, _identity_scan(user))
    services.submit(application, answers, actor=user)
    _advance(application, goal)
    return application


def _counter_request(person: Any) -> Application:
    """書かない窓口: the clerk fills in for a resident without an account."""
    clerk = _staff(Role.CLERK)
    procedure = Procedure.objects.get(code=JUMINHYO)
    application = services.start_application(
        procedure, applicant=None, channel=Channel.COUNTER, resident=person, actor=clerk
    )
    answers = _juminhyo_answers(person, _identity_scan(clerk))  # the clerk scans the ID card
    answers.update(delivery="counter")
    services.submit(application, answers, actor=clerk)
    _advance(application, Status.RECEIVED)
    return application


def seed() -> dict[str, int]:
    """Load the catalogue and make the demo applications (after the accounts demo)."""
    load_catalogue()
    made = []
    for number, goal in enumerate(STORIES, start=1):
        user = User.objects.filter(email=accounts_demo.resident_email(number)).first()
        if user is not None:
            made.append(_online_request(user, goal))
    walk_in = residents.residents_on(timezone.localdate()).exclude(
        pk__in=[a.resident_id for a in made if a]
    )
    if walk_in.exists():
        made.append(_counter_request(walk_in.first()))
    return {
        "procedures": Procedure.objects.count(),
        "demo applications": len([a for a in made if a]),
    }


def clear() -> None:
    """Remove every application (they point at registry records the demo is about to replace)."""
    Application.objects.all().delete()
