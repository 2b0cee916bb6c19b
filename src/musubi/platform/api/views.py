"""API root, the unknown-route answer, ``/healthz``, and the staff pages for API tokens."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musubi.platform.accounts.decorators import staff_required
from musubi.platform.api import services
from musubi.platform.api.forms import IssueForm
from musubi.platform.api.models import ApiToken
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import record

try:
    VERSION = version("musubi")
except PackageNotFoundError:  # running from a source tree that was never installed
    VERSION = "0+unknown"

NOT_LISTED = {"index", "not-found"}
PURPOSE = "API client management"


class ApiIndex(APIView):
    """The entry point: what this API offers, with links (no personal data, so public)."""

    permission_classes = [AllowAny]

    @extend_schema(
        summary="API index",
        operation_id="api_index",
        responses=inline_serializer(
            "ApiIndex",
            {
                "name": serializers.CharField(),
                "version": serializers.CharField(),
                "links": serializers.DictField(child=serializers.URLField()),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        links = {"schema": reverse("api-schema"), "docs": reverse("api-docs"), **_list_routes()}
        absolute = {name: request.build_absolute_uri(url) for name, url in links.items()}
        return Response({"name": "Musubi API", "version": VERSION, "links": absolute})


def _list_routes() -> dict[str, str]:
    """Every named API route that takes no argument (the collections), by name."""
    api = get_resolver().namespace_dict["api"][1]
    found = {}
    for name in api.reverse_dict:
        if isinstance(name, str) and name not in NOT_LISTED:
            try:
                found[name] = reverse(f"api:{name}")
            except NoReverseMatch:
                continue
    return dict(sorted(found.items()))


@extend_schema(exclude=True)
class NotFound(APIView):
    """Any path under /api/v1/ that no route matches: a 404 problem, whatever the method."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def initial(self, request: Request, *args, **kwargs) -> None:
        raise exceptions.NotFound(_("このURLに該当するAPIはありません。"))


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: 200 when the database answers, 503 when not."""
    checks = {"database": _database_state()}
    if settings.REDIS_URL:
        checks["cache"] = _cache_state()
    healthy = all(state == "ok" for state in checks.values())
    body = {"status": "ok" if healthy else "error", **checks, "version": VERSION}
    return JsonResponse(body, status=200 if healthy else 503)


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "error"
    return "ok"


def _cache_state() -> str:
    """Round-trip a value through the shared cache (Redis when configured)."""
    probe = get_random_string(16)
    try:
        cache.set("healthz-probe", probe, timeout=10)
        return "ok" if cache.get("healthz-probe") == probe else "error"
    except Exception:  # any client error means the cache is unusable
        return "error"


@staff_required("api.manage_tokens")
def token_list(request: HttpRequest) -> HttpResponse:
    tokens = ApiToken.objects.select_related("department").order_by("revoked_at", "name")
    return render(request, "api/token_list.html", {"tokens": tokens})


@staff_required("api.manage_tokens")
@never_cache
@require_http_methods(["GET", "POST"])
def token_issue(request: HttpRequest) -> HttpResponse:
    """Issue a token; the key is shown on the answer page only, never stored or shown again."""
    form = IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # no token without its audit row
                token, key = services.issue_token(
                    data["name"],
                    data["department"].code,
                    data["scopes"],
                    data["expires_days"],
                    created_by=request.user,
                )
                record(
                    request,
                    action=Action.CREATE,
                    subject=token,
                    what="API token issued",
                    purpose=PURPOSE,
                )
        except services.TokenError as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "api/token_issued.html", {"token": token, "key": key})
    status = 400 if form.is_bound else 200
    return render(request, "api/token_issue.html", {"form": form}, status=status)


@staff_required("api.manage_tokens")
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first (GET), revoke on confirmation (POST)."""
    token = get_object_or_404(ApiToken, pk=pk)
    if request.method == "POST":
        with transaction.atomic():
            services.revoke_token(token.name)
            record(
                request,
                action=Action.UPDATE,
                subject=token,
                what="API token revoked",
                purpose=PURPOSE,
            )
        messages.success(
            request, _("トークン「%(name)s」を無効にしました。") % {"name": token.name}
        )
        return redirect("api_tokens:list")
    return render(request, "api/token_revoke.html", {"token": token})
