"""DRF guard: a machine client needs the scope, a staff member the granted permission."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from musubi.platform.accounts import services as accounts
from musubi.platform.accounts.permissions import declare, known
from musubi.platform.api.models import ApiToken

declare("api.manage_tokens", "APIトークンの管理", "Issue and revoke API tokens")


def require(code: str) -> type[BasePermission]:
    """A permission class allowing tokens scoped ``code`` and staff granted ``code``.

    Staff must have passed the second factor in this session; without credentials
    DRF answers 401, with credentials lacking ``code`` 403.
    """
    known(code)

    class Requires(BasePermission):
        permission_code = code

        def has_permission(self, request, view) -> bool:
            if isinstance(request.auth, ApiToken):
                return request.auth.allows(code)
            if not request.session.get("staff_mfa_passed"):
                return False
            return accounts.has_permission(request.user, code)

    Requires.__name__ = f"Requires[{code}]"
    return Requires
