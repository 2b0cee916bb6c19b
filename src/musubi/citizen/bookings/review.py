"""Staff review shared by 団体登録 (``groups``) and 利用者登録 (``registrations``): one rule for
deciding, one order for the review pages and the API, one event that tells the applicant.

A rejection needs a reason the applicant will read; something already reviewed is left as
it is (two clerks on one request, or a retried API call), so a decision is never made twice.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Case, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.citizen.bookings.errors import NotAllowed
from musubi.citizen.bookings.models import Reviewed, ReviewStatus
from musubi.platform.events.services import publish

Item = TypeVar("Item", bound=Reviewed)
REASON_LENGTH = 200


def decide(item: Item, *, by: Any, approve: bool, reason: str = "", already: Any) -> Item:
    """Approve or reject a pending ``item``; ``already`` is the refusal when it was reviewed.

    Publishes ``bookings.reviewed`` so the applicant is told through the hub once the
    decision is committed (``tasks.tell_applicant``)."""
    reason = reason.strip()
    if not approve and not reason:
        raise NotAllowed(_("不承認の理由を入力してください。"))
    with transaction.atomic():
        item = type(item).objects.select_for_update().get(pk=item.pk)
        if item.status != ReviewStatus.PENDING:
            raise NotAllowed(already)
        item.status = ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED
        item.review_reason = reason[:REASON_LENGTH]
        item.reviewed_by, item.reviewed_at = by, timezone.now()
        item.save(update_fields=["status", "review_reason", "reviewed_by", "reviewed_at"])
        publish("bookings.reviewed", model=item._meta.model_name, pk=item.pk)
    return item


def pending_first(items: QuerySet[Item]) -> tuple[QuerySet[Item], QuerySet[Item]]:
    """(pending oldest first, reviewed newest first): the order of the staff's review."""
    pending = items.filter(status=ReviewStatus.PENDING).order_by("created_at", "pk")
    return pending, items.exclude(status=ReviewStatus.PENDING)


def with_status(items: QuerySet[Item], status: str) -> QuerySet[Item]:
    """``items`` in one review status, or all of them pending first (``status`` ''); an
    unknown status raises ``ValueError`` (the caller's mistake, not an empty list)."""
    if status and status not in ReviewStatus.values:
        raise ValueError(status)
    if status:
        return items.filter(status=status).order_by("created_at", "pk")
    waiting_first = Case(When(status=ReviewStatus.PENDING, then=0), default=1)
    return items.order_by(waiting_first, "created_at", "pk")
