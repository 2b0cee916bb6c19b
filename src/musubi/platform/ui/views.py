"""Pages of the shell: the resident portal's home and my page, the staff dashboard, errors."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from musubi.platform.accounts.decorators import staff_required
from musubi.platform.residents import services as residents
from musubi.platform.ui import services

YEAR_SECONDS = 365 * 24 * 3600


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "ui/home.html")


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "ui/accessibility.html")


@require_GET
@login_required
def mypage(request: HttpRequest) -> HttpResponse:
    context = {"resident": residents.resident_for(request.user)}
    return render(request, "ui/mypage.html", context)


@require_POST
@login_required
def preferred_language(request: HttpRequest) -> HttpResponse:
    """Remember the resident's language on the account and switch to it now."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("選択された言語には対応していません。"))
        return redirect("ui:mypage")
    request.user.preferred_language = language
    request.user.save(update_fields=["preferred_language"])
    response = redirect("ui:mypage")
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=YEAR_SECONDS, samesite="Lax"
    )
    return response


@require_GET
@staff_required("staff.dashboard")
def staff_dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "roles": services.staff_roles(request.user),
        "tiles": services.visible_links(request.user, services.DASHBOARD_TILES),
    }
    return render(request, "ui/staff_dashboard.html", context)


@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """Set the text-size cookie and go back to the page the switch was pressed on."""
    size = request.POST.get("size", "")
    response = HttpResponseRedirect(_safe_next(request))
    if size not in services.TEXT_SIZES:
        messages.error(request, _("文字サイズは「標準」「大」「特大」から選んでください。"))
        return response
    response.set_cookie(
        services.TEXT_SIZE_COOKIE, size, max_age=YEAR_SECONDS, samesite="Lax", httponly=True
    )
    return response


def _safe_next(request: HttpRequest) -> str:
    """The ``next`` address if it stays on this site, else the home page."""
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else "/"
