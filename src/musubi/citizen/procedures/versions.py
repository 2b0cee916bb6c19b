"""Form versions of a procedure: drafts, publication, and which version is in force when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.citizen.procedures.errors import InvalidDefinition, ProcedureUnavailable
from musubi.citizen.procedures.models import FormVersion, Procedure, VersionStatus
from musubi.platform.forms import services as forms

#: Where a procedure read by ``active_procedure`` keeps the version that was in force then, for
#: as long as the object lives (one request).
_IN_FORCE = "_version_in_force"


def published_version(procedure: Procedure, on: dt.datetime | None = None) -> FormVersion | None:
    """The version in force at ``on`` (default now): published, or retired after ``on``."""
    if on is None and hasattr(procedure, _IN_FORCE):
        return getattr(procedure, _IN_FORCE)
    return _in_force(procedure.versions.all(), on or timezone.now()).first()


def active_procedure(code: str) -> Procedure | None:
    """The active procedure ``code`` with its version in force now, read in one query.

    Every submission through the API names its procedure by code and then needs that version;
    one join costs less than the second query. None when no active procedure has the code.
    """
    version = (
        _in_force(FormVersion.objects.filter(procedure__code=code), timezone.now())
        .filter(procedure__active=True)
        .select_related("procedure")
        .first()
    )
    if version is None:  # unknown, inactive, or nothing in force (draft_application says so)
        return Procedure.objects.filter(code=code, active=True).first()
    setattr(version.procedure, _IN_FORCE, version)
    return version.procedure


def _in_force(versions: QuerySet[FormVersion], on: dt.datetime) -> QuerySet[FormVersion]:
    return (
        versions.filter(status__in=[VersionStatus.PUBLISHED, VersionStatus.RETIRED])
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .order_by("-number")
    )


def create_version(
    procedure: Procedure,
    definition: dict[str, Any],
    *,
    actor: Any = None,
    export_columns: list[dict[str, str]] | None = None,
) -> FormVersion:
    """A new draft version; raises ``InvalidDefinition`` (with the engine's problems) first."""
    problems = forms.check_definition(definition)
    if problems:
        raise InvalidDefinition(problems)
    with transaction.atomic():
        last = procedure.versions.order_by("-number").values_list("number", flat=True).first()
        return FormVersion.objects.create(
            procedure=procedure,
            number=(last or 0) + 1,
            definition=definition,
            export_columns=export_columns or [],
            created_by=actor,
        )


@transaction.atomic
def publish_version(
    version: FormVersion, *, actor: Any = None, valid_from: dt.datetime | None = None
) -> FormVersion:
    """Put a draft in force from ``valid_from`` (default now); the version in force retires then."""
    if version.status != VersionStatus.DRAFT:
        raise ProcedureUnavailable(_("下書きの版だけを公開できます。"))
    start = valid_from or timezone.now()
    version.procedure.versions.filter(status=VersionStatus.PUBLISHED).update(
        status=VersionStatus.RETIRED, valid_to=start
    )
    version.status, version.valid_from, version.valid_to = VersionStatus.PUBLISHED, start, None
    version.save(update_fields=["status", "valid_from", "valid_to"])
    return version
