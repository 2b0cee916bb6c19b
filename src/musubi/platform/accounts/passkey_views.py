"""A staff member's own passkeys: list them, register one more, remove one.

Every staff member may manage their own passkeys, so the pages are guarded by the
permission every staff role holds (``staff.dashboard``); nobody sees another's keys.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from musubi.platform.accounts import passkeys
from musubi.platform.accounts.decorators import staff_required
from musubi.platform.accounts.forms import PasskeyForm
from musubi.platform.accounts.models import Passkey
from musubi.platform.accounts.staff_views import refusal

GUARD = "staff.dashboard"


def _list_page(request: HttpRequest, form: PasskeyForm, error: str = "") -> HttpResponse:
    context = {
        "form": form,
        "passkeys": passkeys.passkeys_of(request.user),
        "passkeys_usable": passkeys.usable_here(request),
        "passkey_error": error,
    }
    return render(request, "accounts/staff_passkeys.html", context)


@never_cache
@staff_required(GUARD)
def passkey_list(request: HttpRequest) -> HttpResponse:
    """The list, and the registration form that passkey.js completes with the new key."""
    form = PasskeyForm(request.POST or None, user=request.user)
    if request.method != "POST" or not form.is_valid():
        return _list_page(request, form)
    try:
        passkey = passkeys.register(
            request, request.user, form.cleaned_data["name"], form.cleaned_data["credential"]
        )
    except passkeys.PasskeyError as error:
        return _list_page(request, form, str(error))
    messages.success(request, _("パスキー「%(name)s」を登録しました。") % {"name": passkey.name})
    return redirect("accounts:staff_passkeys")


@staff_required(GUARD)
@require_POST
def passkey_options(request: HttpRequest) -> HttpResponse:
    """Options for navigator.credentials.create(), once the chosen name is acceptable."""
    form = PasskeyForm(request.POST, user=request.user)
    if not passkeys.usable_here(request):
        return refusal(passkeys.NOT_USABLE_HERE, status=409)
    if not form.is_valid():
        return refusal(" ".join(form.errors.get("name", [])), status=400)
    return HttpResponse(
        passkeys.registration_options(request, request.user), content_type="application/json"
    )


@never_cache
@staff_required(GUARD)
def passkey_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first, then remove; the last second factor of the account is refused."""
    passkey = Passkey.objects.filter(user=request.user, pk=pk).first()
    if passkey is None:
        raise Http404
    error = passkeys.LAST_FACTOR if passkeys.is_last_factor(request.user) else ""
    if request.method == "POST":
        try:
            name = passkeys.remove(request.user, passkey.pk)
        except passkeys.LastFactorError as refused:
            error = str(refused)
        except Passkey.DoesNotExist:
            raise Http404 from None
        else:
            messages.success(request, _("パスキー「%(name)s」を削除しました。") % {"name": name})
            return redirect("accounts:staff_passkeys")
    context = {"passkey": passkey, "error": str(error)}
    return render(request, "accounts/staff_passkey_remove.html", context)
