"""Registered groups (団体登録): a resident registers a group as its representative, staff
approve or reject it (a rejection says why), and only then may the representative book for
it (directly, by a lottery entry or a waiting-list place, or through staff on the phone).
Resources marked ``groups_only`` take bookings from approved groups only; a group whose
members mostly live in the city pays the 市内 rate (the threshold is data:
``data/group_rules.json``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.citizen.bookings import review as review_rules
from musubi.citizen.bookings.errors import NotEligible
from musubi.citizen.bookings.models import GroupQuotaUse, Resource, ReviewStatus, UserGroup

RULES_FILE = Path(__file__).resolve().parent / "data" / "group_rules.json"


@cache
def rules() -> dict[str, Any]:
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


def pays_resident_rate(group: UserGroup | None) -> bool:
    """An approved group with at least the rule's share of members living in the city."""
    return (
        group is not None
        and group.status == ReviewStatus.APPROVED
        and group.resident_percent >= rules()["resident_rate_min_percent"]
    )


def register(user: Any, **details: Any) -> UserGroup:
    """Register a group with ``user`` as its representative; it waits for staff review."""
    return UserGroup.objects.create(representative=user, **details)


def review(group: UserGroup, *, by: Any, approve: bool, reason: str = "") -> UserGroup:
    """Approve or reject a pending group; a rejection needs a reason the representative
    will read. A group already reviewed is left as it is (two clerks on one request)."""
    already = _("この団体はすでに審査されています。")
    return review_rules.decide(group, by=by, approve=approve, reason=reason, already=already)


def check_group(resource: Resource, user: Any, group: UserGroup | None) -> None:
    """Whether ``user`` may book ``resource`` for ``group`` (or for themself, ``None``)."""
    if group is None:
        if resource.groups_only:
            raise NotEligible(
                _("この施設は承認された登録団体だけが予約できます。団体を選んでください。")
            )
        return
    if user is None or group.representative_id != user.pk:
        raise NotEligible(_("代表者として登録した団体だけを選べます。"))
    if group.status == ReviewStatus.PENDING:
        raise NotEligible(
            _("団体「%(name)s」は審査中のため、まだ予約できません。"), name=group.name
        )
    if group.status == ReviewStatus.REJECTED:
        raise NotEligible(
            _("団体「%(name)s」は承認されていないため予約できません（理由：%(reason)s）。"),
            name=group.name,
            reason=group.review_reason,
        )


def groups_of(user: Any) -> QuerySet[UserGroup]:
    """The groups ``user`` represents, newest first."""
    return UserGroup.objects.filter(representative=user)


def approved() -> QuerySet[UserGroup]:
    """Every approved group by name: whom staff may book for when one of them phones."""
    return UserGroup.objects.filter(status=ReviewStatus.APPROVED).order_by("name", "pk")


def quota_use(group: UserGroup) -> QuerySet[GroupQuotaUse]:
    """The group's monthly quota counters from this month on (Tokyo): how much of each
    resource's ``monthly_group_quota`` its bookings and held lottery wins use."""
    this_month = timezone.localdate().replace(day=1)
    return (
        GroupQuotaUse.objects.filter(group=group, month__gte=this_month)
        .select_related("resource")
        .order_by("month", "resource__code")
    )


def _for_review() -> QuerySet[UserGroup]:
    return UserGroup.objects.select_related("representative", "reviewed_by")


def for_staff() -> tuple[QuerySet[UserGroup], QuerySet[UserGroup]]:
    """(pending oldest first, reviewed newest first) for the staff's review page."""
    return review_rules.pending_first(_for_review())


def listed(status: str = "") -> QuerySet[UserGroup]:
    """Groups for the staff API, in one review status or all (pending first)."""
    return review_rules.with_status(_for_review(), status)
