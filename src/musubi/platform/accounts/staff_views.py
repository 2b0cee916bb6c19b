"""Staff login: password first, then the second factor (TOTP, a recovery code, or a passkey).

Between the two steps the session holds only the pending account's id; the staff member is
logged in, with ``staff_mfa_passed``, only after the second factor.
"""

from __future__ import annotations

import time

from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from musubi.platform.accounts import lockout, mfa, passkeys, services
from musubi.platform.accounts.forms import CodeForm, LoginForm, PasskeyAnswerForm
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
    step = "accounts:staff_mfa" if passkeys.has_second_factor(user) else "accounts:staff_enrol"
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


def _mfa_page(
    request: HttpRequest, user: User, form: CodeForm | None = None, passkey_error: str = ""
) -> HttpResponse:
    """The second step: a TOTP code form when the device exists, a passkey button when any."""
    has_device = mfa.has_confirmed_device(user)
    context = {
        "form": (form if form is not None else CodeForm()) if has_device else None,
        "has_passkey": passkeys.has_passkey(user),
        "passkeys_usable": passkeys.usable_here(request),
        "passkey_error": passkey_error,
    }
    return render(request, "accounts/staff_mfa.html", context)


def _refuse(request: HttpRequest, user: User) -> str:
    """Count a failed second factor; the message to show (the lock, once it has struck)."""
    until = lockout.locked_until(user.email) or lockout.record_failure(user.email)
    if until:
        request.session.pop(PENDING, None)
        return locked_message(until)
    return ""


@never_cache
def staff_mfa(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None or not passkeys.has_second_factor(user):
        return redirect("accounts:staff_login")
    if not mfa.has_confirmed_device(user):
        return _mfa_page(request, user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        locked = lockout.locked_until(user.email) is not None
        if not locked and mfa.verify_second_factor(user, form.cleaned_data["code"]):
            return redirect(_complete(request, user))
        message = _refuse(request, user)
        form.add_error(None if message else "code", message or _("確認コードが違います。"))
    return _mfa_page(request, user, form)


def refusal(message: str, status: int = 403) -> JsonResponse:
    """The answer passkey.js shows instead of starting a ceremony."""
    return JsonResponse({"error": str(message)}, status=status)


@require_POST
def staff_passkey_options(request: HttpRequest) -> HttpResponse:
    """Options for navigator.credentials.get(), for the account waiting at the second step."""
    user = _pending_user(request)
    if user is None or not passkeys.has_passkey(user):
        return refusal(_("ログインの途中ではありません。最初からやり直してください。"))
    until = lockout.locked_until(user.email)
    if until:
        return refusal(locked_message(until))
    if not passkeys.usable_here(request):
        return refusal(passkeys.NOT_USABLE_HERE, status=409)
    return HttpResponse(
        passkeys.authentication_options(request, user), content_type="application/json"
    )


@never_cache
@require_POST
def staff_passkey(request: HttpRequest) -> HttpResponse:
    """The second step by passkey; a failure counts toward the lockout like a wrong code."""
    user = _pending_user(request)
    if user is None or not passkeys.has_passkey(user):
        return redirect("accounts:staff_login")
    form = PasskeyAnswerForm(request.POST)
    try:
        if lockout.locked_until(user.email) is not None or not form.is_valid():
            raise passkeys.PasskeyError(_("パスキーを確認できませんでした。"))
        passkeys.authenticate(request, user, form.cleaned_data["credential"])
    except passkeys.PasskeyError as error:
        return _mfa_page(request, user, passkey_error=_refuse(request, user) or str(error))
    return redirect(_complete(request, user))


@never_cache
def staff_enrol(request: HttpRequest) -> HttpResponse:
    """First login: set up the authenticator app, proven by one correct code."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:staff_login")
    if passkeys.has_second_factor(user):
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
