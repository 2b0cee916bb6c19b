"""``Authorization: Bearer <key>`` for machine clients."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from musubi.platform.api.models import ApiToken, digest_of


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        scheme, _sep, key = header.partition(" ")
        if scheme != self.keyword:
            return None
        token = ApiToken.objects.filter(key_digest=digest_of(key.strip())).first()
        if token is None or not token.usable:
            raise exceptions.AuthenticationFailed(_("APIトークンが無効か、期限切れです。"))
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return (AnonymousUser(), token)

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}
