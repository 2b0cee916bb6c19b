"""Public API of the form engine (``musubi.platform.forms``). Other apps import only this module.

Definitions
    ``FormDefinition.from_dict(raw)`` builds an immutable definition from a dict (JSON Schema
    2020-12 ``schema`` + ``ui`` steps → sections → fields) or raises ``DefinitionError`` whose
    ``problems`` list every authoring error; ``check_definition(raw) -> list[str]`` returns them
    without raising (for a catalogue editor). Widgets: ``FIELD_TYPES``. The engine stores no
    definitions: the caller (procedures) owns and versions them.

Running a form (the caller owns URLs and chooses a ``form_key`` such as
``"procedure:jidou-teate:v3"``)::

    draft = open_draft(request.user, form_key, title=definition.title)
    session = FormSession(definition, request.user, draft,
                          urls=Urls(step=lambda s: ..., review=..., submit=...))
    session.render_step(request, step_id)                 # GET a step
    outcome = session.submit_step(request, step_id)      # POST a step (autosaves the draft)
    if outcome.done: return redirect(outcome.next_url)   # next step, or the review page
    return session.render_step(request, step_id, outcome)  # errors, or add/remove/lookup
    session.review(request)                               # GET: every answer + change links
    data = session.final_data()                           # POST submit: or FormIncomplete
    discard_draft(draft)                                  # once the caller has stored ``data``

``session.resume_url()`` is where a resident left off; ``session.problems()`` lists steps that
still need attention; ``FormIncomplete.first_step`` is where to send them.

Once-only prefill
    Fields declare ``"prefill": "registry.<attribute>"`` (read-only, from the linked resident;
    see ``registry_source.RegistryPrefill.attributes``) or ``"previous.<attribute>"`` (editable,
    from earlier submissions). Register a provider with ``@prefill_provider("previous")`` on a
    ``PrefillProvider`` subclass whose ``values(context, attributes)`` returns what it knows;
    ``context`` is a ``PrefillContext(user, form_key)``.

Registry errors
    ``report_registry_error(user, attribute, comment)`` records a ``RegistryCorrectionRequest``
    and publishes ``forms.registry_correction_requested`` (payload: request_id, user_id,
    resident_number, field) for 市民課.

Plug-in points
    ``set_file_check(callable(user, file_id) -> bool)`` (the files app decides whether a
    ``file`` field's id is the user's upload); ``set_file_store(callable(user, uploaded) ->
    file_id)`` (keeps a ``file`` field's upload; refuses with a ``ValidationError`` or an error
    carrying ``message``); ``set_file_choices(callable(user) -> [(file_id, label)])`` (the
    user's earlier files to choose from); ``set_file_label(callable(file_id) -> str)`` (the
    name shown for a ``file`` answer); ``use_postal_provider(provider)`` (a full
    郵便番号 dataset); ``lookup_postal_code(code)``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from musubi.platform.events.services import publish
from musubi.platform.forms import postal
from musubi.platform.forms.checks import check_definition
from musubi.platform.forms.definition import DefinitionError, FormDefinition, Text, localize
from musubi.platform.forms.engine import FormIncomplete, FormSession, StepOutcome, Urls
from musubi.platform.forms.fieldtypes import (
    FIELD_TYPES,
    set_file_check,
    set_file_choices,
    set_file_label,
    set_file_store,
)
from musubi.platform.forms.japanese import FieldError, clean_postal_code
from musubi.platform.forms.models import CorrectionStatus, FormDraft, RegistryCorrectionRequest
from musubi.platform.forms.postal import PostalAddress, PostalCodeProvider
from musubi.platform.forms.prefill import (
    PrefillContext,
    PrefillProvider,
    prefill_provider,
    provider,
)
from musubi.platform.residents import services as residents

__all__ = [
    "FIELD_TYPES",
    "CorrectionStatus",
    "DefinitionError",
    "FieldError",
    "FormDefinition",
    "FormIncomplete",
    "FormSession",
    "PostalAddress",
    "PostalCodeProvider",
    "PrefillContext",
    "PrefillProvider",
    "StepOutcome",
    "Urls",
    "check_definition",
    "correction_label",
    "corrections",
    "discard_draft",
    "drafts_for",
    "localize",
    "lookup_postal_code",
    "open_draft",
    "prefill_provider",
    "purge_expired_drafts",
    "registry_value",
    "report_registry_error",
    "set_correction_status",
    "set_file_check",
    "set_file_choices",
    "set_file_label",
    "set_file_store",
    "use_postal_provider",
]

DRAFT_DAYS = 30
COMMENT_MAX = 1000
CORRECTION_EVENT = "forms.registry_correction_requested"


class CorrectionError(FieldError):
    """A report of a registry error that cannot be recorded as asked; the message says why."""


# --- drafts ---------------------------------------------------------------------------------


def open_draft(
    user: Any, form_key: str, *, title: Text | None = None, keep_days: int = DRAFT_DAYS
) -> FormDraft:
    """The user's unexpired draft of ``form_key``, or a new one (an expired one is replaced)."""
    now = timezone.now()
    with transaction.atomic():
        FormDraft.objects.filter(user=user, form_key=form_key, expires_at__lte=now).delete()
        draft, created = FormDraft.objects.get_or_create(
            user=user,
            form_key=form_key,
            defaults={"title": dict(title or {}), "expires_at": now + dt.timedelta(days=keep_days)},
        )
    if not created:
        FormDraft.objects.filter(pk=draft.pk).update(expires_at=now + dt.timedelta(days=keep_days))
    return draft


def drafts_for(user: Any) -> QuerySet[FormDraft]:
    """The resident's unfinished forms, most recently touched first (for a "my drafts" page)."""
    return FormDraft.objects.filter(user=user, expires_at__gt=timezone.now())


def discard_draft(draft: FormDraft) -> None:
    FormDraft.objects.filter(pk=draft.pk).delete()


def purge_expired_drafts(now: dt.datetime | None = None) -> int:
    """Delete drafts past their expiry (run daily); returns how many went."""
    deleted, _detail = FormDraft.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


# --- postal codes ---------------------------------------------------------------------------


def lookup_postal_code(code: str) -> list[PostalAddress]:
    """Addresses for a 郵便番号 typed any way (raises FieldError if it is not 7 digits)."""
    return postal.lookup(clean_postal_code(code))


def use_postal_provider(plugged: PostalCodeProvider) -> None:
    postal.use_provider(plugged)


# --- reports of registry errors -------------------------------------------------------------


def correction_label(attribute: str) -> str:
    """The registry attribute's name in the active language (the code if unknown)."""
    registry = provider("registry")
    labels = registry.attributes if registry and registry.attributes else {}
    return str(labels.get(attribute, attribute))


def registry_value(user: Any, attribute: str) -> str | None:
    """What the registry shows the user for ``attribute``, as text; None if unknown or unlinked."""
    registry = provider("registry")
    if registry is None or attribute not in (registry.attributes or {}):
        return None
    value = registry.values(PrefillContext(user, ""), {attribute}).get(attribute)
    if value in (None, "", []):
        return None
    return _as_text(value)


def _as_text(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values())
    if isinstance(value, list):
        return "; ".join(_as_text(item) for item in value)
    return str(value)


@transaction.atomic
def report_registry_error(
    user: Any, attribute: str, comment: str = ""
) -> RegistryCorrectionRequest:
    """Record that ``user`` says the registry's ``attribute`` is wrong, and tell 市民課."""
    person = residents.resident_for(user)
    if person is None:
        raise CorrectionError(_("住民記録と連携していないため、報告できません。"))
    shown = registry_value(user, attribute)
    if shown is None:
        raise CorrectionError(_("報告できない項目です。"))
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise CorrectionError(_("%(limit)s文字以内で入力してください。") % {"limit": COMMENT_MAX})
    report = RegistryCorrectionRequest.objects.create(
        user=user,
        resident_number=person.number,
        field=attribute,
        shown_value=shown,
        comment=comment,
    )
    publish(
        CORRECTION_EVENT,
        request_id=report.pk,
        user_id=user.pk,
        resident_number=person.number,
        field=attribute,
    )
    return report


def set_correction_status(report: RegistryCorrectionRequest, status: str) -> None:
    if status not in CorrectionStatus.values:
        raise CorrectionError(_("状態「%(value)s」は使えません。") % {"value": status})
    report.status = status
    report.save(update_fields=["status"])


def corrections(status: str = "") -> QuerySet[RegistryCorrectionRequest]:
    found = RegistryCorrectionRequest.objects.all()
    return found.filter(status=status) if status in CorrectionStatus.values else found
