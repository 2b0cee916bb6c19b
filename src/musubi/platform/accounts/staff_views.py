"""Staff login: password first, then the second factor (TOTP, or a recovery code).

Between the two steps the session holds only the pending account's id; the staff member is
logged in, with ``staff_mfa_passed``, only after the second factor.
"""

from __future__ import annotations

import time

from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from musubi.platform.accounts import lockout, mfa, services
from musubi.platform.accounts.forms import CodeForm, LoginForm
from musubi.platform.accounts.middleware import LAST_SEEN
from musubi.platform.accounts.models import User
from musubi.platform.accounts.views import BACKEND, locked_message, safe_next

PENDING = "staff_pending_user"
NEXT = "staff_next"


def staff_login(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    timed_out = request.session.pop("staff_timed_out", False)
    context = {"form": form, "timed_out": timed_out, "next": safe_next(request, "")}
    if request.method != "POST" or not form.is_valid():
        return render(request, "accounts/staff_login.html", context)
    email = form.cleaned_data["email"]
    until = lockout.locked_until(email)
    if until:
        form.add_error(None, locked_message(until))
        return render(request, "accounts/staff_login.html", context)
    user = authenticate(request, email=email, password=form.cleaned_data["password"])
    if user is None or not services.is_staff_member(user):
        until = lockout.record_failure(email)
        form.add_error(
            None, locked_message(until) if until else _("メールアドレスかパスワードが違います。")
        )
        return render(request, "accounts/staff_login.html", context)
    request.session.cycle_key()
    request.session[PENDING] = user.pk
    request.session[NEXT] = safe_next(request, reverse("ui:staff_dashboard"))
    step = "accounts:staff_mfa" if mfa.has_confirmed_device(user) else "accounts:staff_enrol"
    return redirect(step)


def _pending_user(request: HttpRequest) -> User | None:
    pk = request.session.get(PENDING)
    return User.objects.filter(pk=pk, is_active=True).first() if pk else None


def _complete(request: HttpRequest, user: User) -> str:
    """Log the staff member in for real; return where they were going."""
    target = request.session.pop(NEXT, "") or reverse("ui:staff_dashboard")
    request.session.pop(PENDING, None)
    lockout.record_success(user)
    login(request, user, backend=BACKEND)
    request.session["staff_mfa_passed"] = True
    request.session[LAST_SEEN] = time.time()
    return target


@never_cache
def staff_mfa(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None or not mfa.has_confirmed_device(user):
        return redirect("accounts:staff_login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        until = lockout.locked_until(user.email)
        if until is None and mfa.verify_second_factor(user, form.cleaned_data["code"]):
            return redirect(_complete(request, user))
        until = until or lockout.record_failure(user.email)
        if until:
            request.session.pop(PENDING, None)
            form.add_error(None, locked_message(until))
        else:
            form.add_error("code", _("確認コードが違います。"))
    return render(request, "accounts/staff_mfa.html", {"form": form})


@never_cache
def staff_enrol(request: HttpRequest) -> HttpResponse:
    """First login: set up the authenticator app, proven by one correct code."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:staff_login")
    if mfa.has_confirmed_device(user):
        return redirect("accounts:staff_mfa")
    device = mfa.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.confirm_device(device, form.cleaned_data["code"])
        if codes is not None:
            target = _complete(request, user)
            return render(
                request, "accounts/staff_recovery_codes.html", {"codes": codes, "next": target}
            )
        form.add_error("code", _("確認コードが違います。認証アプリの時刻設定も確認してください。"))
    uri = mfa.provisioning_uri(device)
    context = {"form": form, "qr": mfa.qr_svg(uri), "secret": device.secret, "uri": uri}
    return render(request, "accounts/staff_enrol.html", context)
