"""利用者登録 (facility user registration): a person registers as a facility user before
booking a resource marked ``registration_required`` (or entering its lottery or waiting
list). An account linked to a living resident of the city is approved at once, since the
registry already verified who they are; any other registration waits for staff review
(``review.decide``, the same rule as groups). Which fields are required is data:
``data/registration_rules.json``.

A booking for an approved group needs no personal registration (the group was reviewed), and
staff booking for a caller without an account vouch for the caller themselves.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.citizen.bookings import review
from musubi.citizen.bookings.errors import NotAllowed, RegistrationNeeded
from musubi.citizen.bookings.models import Resource, ReviewStatus, UserGroup, UserRegistration
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import Status as ResidentStatus

RULES_FILE = Path(__file__).resolve().parent / "data" / "registration_rules.json"
FIELDS = ("name", "address", "phone")
PHONE_KINDS = ("phone", "mobile")


@cache
def rules() -> dict[str, Any]:
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


def required_fields() -> set[str]:
    return set(rules()["required_fields"])


def registration_of(user: Any) -> UserRegistration | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return UserRegistration.objects.filter(user=user).first()


def verified_by_registry(user: Any) -> bool:
    """Whether the account is linked to a living resident (identity checked by the city)."""
    resident = residents.resident_for(user)
    return resident is not None and resident.status == ResidentStatus.ACTIVE


def prefill(user: Any) -> dict[str, str]:
    """What the registry already knows (ワンスオンリー): the resident's name, address today
    and a verified phone; empty for an account not linked to the registry."""
    resident = residents.resident_for(user)
    if resident is None or resident.status != ResidentStatus.ACTIVE:
        return {}
    city = residents.load_city()
    address = residents.address_of(resident, timezone.localdate())
    phones = [
        c.value for c in residents.contacts_of(resident.pk) if c.verified and c.kind in PHONE_KINDS
    ]
    return {
        "name": str(resident),
        "address": f"{city['prefecture']}{city['name']}{address}" if address else "",
        "phone": phones[0] if phones else "",
    }


def apply(user: Any, **details: str) -> UserRegistration:
    """Register ``user`` as a facility user (or correct a pending or rejected registration,
    which then waits for review again). Approved at once for an account linked to a living
    resident; an approved registration is not changed here (the city changes it)."""
    details = {field: details.get(field, "").strip() for field in FIELDS}
    if any(not details[field] for field in required_fields()):
        raise NotAllowed(_("氏名・住所・連絡先電話番号を入力してください。"))
    at_once = rules()["approve_linked_residents_at_once"] and verified_by_registry(user)
    try:
        with transaction.atomic():
            found = UserRegistration.objects.select_for_update().filter(user=user).first()
            if found is not None and found.status == ReviewStatus.APPROVED:
                raise NotAllowed(_("利用者登録はすでに承認されています。"))
            registration = found or UserRegistration(user=user)
            for field, value in details.items():
                setattr(registration, field, value)
            _set_status(registration, at_once)
            registration.save()
    except IntegrityError:  # two first applications of one account racing
        raise NotAllowed(_("利用者登録はすでに申請されています。")) from None
    return registration


def _set_status(registration: UserRegistration, at_once: bool) -> None:
    registration.status = ReviewStatus.APPROVED if at_once else ReviewStatus.PENDING
    registration.verified_by_registry = at_once
    registration.review_reason, registration.reviewed_by = "", None
    registration.reviewed_at = timezone.now() if at_once else None


def decide(
    registration: UserRegistration, *, by: Any, approve: bool, reason: str = ""
) -> UserRegistration:
    """Staff approve or reject a pending registration (a rejection says why)."""
    already = _("この利用者登録はすでに審査されています。")
    return review.decide(registration, by=by, approve=approve, reason=reason, already=already)


def check_registered(resource: Resource, user: Any, group: UserGroup | None) -> None:
    """Whether ``user`` may book (enter, join) ``resource`` as far as registration goes.

    Only for a resource marked ``registration_required`` and an account: a booking for a
    group is the group's (``groups.check_group`` asks it to be approved), and a caller
    without an account is vouched for by the staff booking for them."""
    if not resource.registration_required or user is None or group is not None:
        return
    registration = registration_of(user)
    if registration is None:
        raise RegistrationNeeded(
            _("利用者登録が必要です。この施設は、利用者登録が承認された方だけが予約できます。"
              "「利用者登録」のページから申請してください。")
        )  # fmt: skip
    if registration.status == ReviewStatus.PENDING:
        raise RegistrationNeeded(
            _(
                "利用者登録が必要です。あなたの利用者登録は審査中のため、承認されるまで予約できません。"
            )
        )
    if registration.status == ReviewStatus.REJECTED:
        raise RegistrationNeeded(
            _("利用者登録が必要です。あなたの利用者登録は承認されませんでした（理由：%(reason)s）。"
              "内容を直して申請し直せます。"),
            reason=registration.review_reason,
        )  # fmt: skip


def for_staff() -> tuple[QuerySet[UserRegistration], QuerySet[UserRegistration]]:
    """(pending oldest first, reviewed newest first) for the staff's review page."""
    return review.pending_first(_for_review())


def _for_review() -> QuerySet[UserRegistration]:
    return UserRegistration.objects.select_related("user", "reviewed_by")


def listed(status: str = "") -> QuerySet[UserRegistration]:
    """Registrations for the staff API, in one review status or all (pending first)."""
    return review.with_status(_for_review(), status)
