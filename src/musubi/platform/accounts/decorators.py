"""Guards for staff pages: log in, pass the second factor, and hold the permission."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from musubi.platform.accounts import services
from musubi.platform.accounts.permissions import known

View = Callable[..., HttpResponse]


def staff_required(code: str) -> Callable[[View], View]:
    """Allow the view only to staff whose role grants ``code``; records it for the role matrix."""
    known(code)

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or not request.session.get("staff_mfa_passed"):
                return redirect_to_login(request.get_full_path(), "accounts:staff_login")
            if not services.has_permission(user, code):
                raise PermissionDenied(code)
            return view(request, *args, **kwargs)

        guarded.staff_permission = code
        return guarded

    return decorate
