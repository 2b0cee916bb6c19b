"""Resident pages: sign up, verify the email, log in and out, reset the password."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from musubi.platform.accounts import lockout, verification
from musubi.platform.accounts.forms import (
    LoginForm,
    ResendForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupForm,
)
from musubi.platform.accounts.models import User

BACKEND = "musubi.platform.accounts.backends.EmailBackend"


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` parameter when it points into this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default


def locked_message(until: datetime) -> str:
    when = timezone.localtime(until).strftime("%Y-%m-%d %H:%M")
    return _(
        "ログインに続けて失敗したため、%(until)s まで一時的にロックされています。"
        "その後にもう一度お試しください。"
    ) % {"until": when}


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = verification.register_resident(
            form.cleaned_data["email"],
            form.cleaned_data["password"],
            form.cleaned_data["display_name"],
        )
        verification.send_verification(user)
        return render(request, "accounts/verify_sent.html", {"email": user.email})
    return render(request, "accounts/signup.html", {"form": form})


def verify(request: HttpRequest, token: str) -> HttpResponse:
    try:
        verification.verify_token(token)
    except verification.VerificationError as exc:
        context = {"expired": exc.expired, "form": ResendForm()}
        return render(request, "accounts/verify_failed.html", context, status=400)
    messages.success(request, _("メールアドレスを確認しました。ログインしてください。"))
    return redirect("accounts:login")


@require_POST
def resend(request: HttpRequest) -> HttpResponse:
    """Send a fresh link; answer the same whether or not the address has an account."""
    form = ResendForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/verify_failed.html", {"form": form}, status=400)
    email = form.cleaned_data["email"]
    user = User.objects.filter(email__iexact=email, email_verified=False).first()
    if user is not None and user.has_usable_password():
        verification.send_verification(user)
    return render(request, "accounts/verify_sent.html", {"email": email})


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    context = {"form": form, "next": safe_next(request, ""), "oidc": _oidc_offered()}
    if request.method != "POST" or not form.is_valid():
        return render(request, "accounts/login.html", context)
    email, password = form.cleaned_data["email"], form.cleaned_data["password"]
    until = lockout.locked_until(email)
    if until:
        form.add_error(None, locked_message(until))
        return render(request, "accounts/login.html", context)
    user = authenticate(request, email=email, password=password)
    if user is None:
        until = lockout.record_failure(email)
        form.add_error(
            None, locked_message(until) if until else _("メールアドレスかパスワードが違います。")
        )
        return render(request, "accounts/login.html", context)
    if not user.email_verified:
        context |= {"unverified": True, "resend_form": ResendForm(initial={"email": email})}
        return render(request, "accounts/login.html", context)
    lockout.record_success(user)
    login(request, user, backend=BACKEND)
    return redirect(safe_next(request, settings.LOGIN_REDIRECT_URL))


def _oidc_offered() -> bool:
    from musubi.platform.accounts import oidc

    return oidc.enabled()


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    was_staff = bool(request.session.get("staff_mfa_passed"))
    logout(request)
    messages.info(request, _("ログアウトしました。"))
    return redirect("accounts:staff_login" if was_staff else settings.LOGOUT_REDIRECT_URL)


class ResetRequestView(auth_views.PasswordResetView):
    form_class = ResetRequestForm
    template_name = "accounts/reset_request.html"
    email_template_name = "accounts/email/reset_body.txt"
    subject_template_name = "accounts/email/reset_subject.txt"
    success_url = reverse_lazy("accounts:reset_sent")

    @property
    def extra_email_context(self) -> dict[str, str]:
        return {"site_url": settings.SITE_URL.rstrip("/")}


class ResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/reset_sent.html"


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the emailed link also proves the address."""

    form_class = ResetPasswordForm
    template_name = "accounts/reset_confirm.html"
    success_url = reverse_lazy("accounts:reset_complete")

    def form_valid(self, form: ResetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        User.objects.filter(pk=form.user.pk).update(
            email_verified=True, failed_logins=0, locked_until=None
        )
        return response


class ResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/reset_complete.html"
