"""Public API of online procedures (``musubi.citizen.procedures``); pages and the API call this.

Lifecycle (the table is ``transitions.TABLE``)::

    app = start_application(procedure, applicant=user, channel=Channel.ONLINE)   # draft
    # (or submit_new(procedure, data, applicant=user, ...): start and submit in one step)
    app = submit(app, data, actor=user, attachments=[("boshi_techo", stored_file)],
                 signature=cms_bytes)                    # validates, receipt number, due date
    app = transition(app, Status.RECEIVED, actor=clerk, expected_version=app.version)
    app = transition(app, Status.CORRECTION_REQUESTED, actor=clerk, message="…",
                     expected_version=app.version)
    app = resubmit(app, fixed_data, actor=user)
    ...  Status.IN_REVIEW → Status.APPROVED → Status.COMPLETED

Every change bumps ``Application.version``; a staff change names the version it was based on
(``expected_version``) and raises ``StaleEdit`` if someone else got there first. Each status
change is a ``Transition`` row and publishes ``procedures.application_<to_status>``.
Errors: ``TransitionNotAllowed``, ``StaleEdit``, ``InvalidSubmission(errors)``,
``ProcedureUnavailable``, ``InvalidDefinition(problems)`` (all ``ProcedureError``, with
``.message`` and ``.messages()``).

Where the code lives: ``roles.py`` (who may), ``lifecycle.py`` (start, submit, staff moves),
``queries.py`` (a resident's list, the department inbox), ``versions.py``, ``catalogue.py``,
``submission.py`` (server-side checking); this module is the one door to them.

Catalogue: ``export_catalogue()``, ``import_catalogue(data, dry_run=...)`` (``catalogue.py``);
form versions: ``create_version``, ``publish_version``, ``published_version``,
``active_procedure`` (a procedure by code with its version in force, in one read).
"""

from __future__ import annotations

from musubi.citizen.procedures.catalogue import export_catalogue, import_catalogue
from musubi.citizen.procedures.errors import (
    InvalidDefinition,
    InvalidSubmission,
    ProcedureError,
    ProcedureUnavailable,
    StaleEdit,
    TransitionNotAllowed,
)
from musubi.citizen.procedures.lifecycle import (
    add_comment,
    assign,
    draft_application,
    due_date_for,
    resubmit,
    signing_document,
    start_application,
    submit,
    submit_new,
    transition,
)
from musubi.citizen.procedures.queries import (
    UNASSIGNED,
    InboxFilters,
    applications_for,
    find_procedures,
    inbox,
    inbox_rows,
)
from musubi.citizen.procedures.roles import allowed_transitions, can_view
from musubi.citizen.procedures.submission import Attachment
from musubi.citizen.procedures.versions import (
    active_procedure,
    create_version,
    publish_version,
    published_version,
)

__all__ = [
    "UNASSIGNED",
    "Attachment",
    "InboxFilters",
    "InvalidDefinition",
    "InvalidSubmission",
    "ProcedureError",
    "ProcedureUnavailable",
    "StaleEdit",
    "TransitionNotAllowed",
    "active_procedure",
    "add_comment",
    "allowed_transitions",
    "applications_for",
    "assign",
    "can_view",
    "create_version",
    "draft_application",
    "due_date_for",
    "export_catalogue",
    "find_procedures",
    "import_catalogue",
    "inbox",
    "inbox_rows",
    "publish_version",
    "published_version",
    "resubmit",
    "signing_document",
    "start_application",
    "submit",
    "submit_new",
    "transition",
]
