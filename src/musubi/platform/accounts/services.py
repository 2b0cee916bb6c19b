"""Public API of the accounts app: who may do what, in which department."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from musubi.platform.accounts.models import Department, PermissionGrant, User
from musubi.platform.accounts.permissions import known


def departments_granting(user: User | AnonymousUser, code: str) -> list[Department]:
    """Departments in which ``user``'s role grants ``code`` (empty for non-staff)."""
    known(code)
    if not user.is_authenticated or not user.is_active:
        return []
    grants = PermissionGrant.objects.filter(
        permission=code,
        department__members__user=user,
    ).select_related("department")
    roles = dict(user.memberships.values_list("department_id", "role"))
    return [g.department for g in grants if roles.get(g.department_id) == g.role]


def has_permission(user: User | AnonymousUser, code: str) -> bool:
    """True when any of ``user``'s (department, role) memberships is granted ``code``."""
    return bool(departments_granting(user, code))


def is_staff_member(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.memberships.exists())
