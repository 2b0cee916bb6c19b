"""Who may move an application: the applicant, or staff whose role grants the rule's code in
the application's own department (counter staff only on counter applications)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from musubi.citizen.procedures import transitions as table
from musubi.citizen.procedures.errors import TransitionNotAllowed
from musubi.citizen.procedures.models import Application, Channel, Status
from musubi.platform.accounts import services as accounts


def is_applicant(application: Application, actor: Any) -> bool:
    return bool(application.applicant_id) and getattr(actor, "pk", None) == application.applicant_id


def staff_may(actor: Any, code: str, application: Application) -> bool:
    granted = accounts.departments_granting(actor, code)
    return any(d.pk == application.department_id for d in granted)


def _acts_as(rule: table.Rule, application: Application, actor: Any) -> str | None:
    """Which of the rule's roles ``actor`` fills for this application (None: none)."""
    for who in rule.who:
        if who == table.APPLICANT and is_applicant(application, actor):
            return who
        if who == table.COUNTER and application.channel != Channel.COUNTER:
            continue  # counter staff act for residents only on counter applications
        if who != table.APPLICANT and staff_may(actor, who, application):
            return who
    return None


def rule_or_refuse(application: Application, to_status: str, actor: Any) -> tuple[table.Rule, str]:
    rule = table.rule_for(application.status, to_status)
    if rule is None:
        raise TransitionNotAllowed(
            _("「%(from)s」から「%(to)s」には変更できません。"),
            **{"from": Status(application.status).label, "to": Status(to_status).label},
        )
    role = _acts_as(rule, application, actor)
    if role is None:
        raise TransitionNotAllowed(_("この操作を行う権限がありません。"))
    return rule, role


def allowed_transitions(application: Application, actor: Any) -> list[str]:
    """Statuses ``actor`` may move the application to now (submit/resubmit excluded)."""
    return [
        to
        for to in table.next_statuses(application.status)
        if not table.TABLE[(application.status, to)].via_submit
        and _acts_as(table.TABLE[(application.status, to)], application, actor)
    ]


def can_view(user: Any, application: Application) -> bool:
    """The applicant, or staff with ``procedures.view`` in the application's department."""
    return is_applicant(application, user) or staff_may(user, "procedures.view", application)
