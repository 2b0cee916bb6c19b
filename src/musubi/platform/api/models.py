"""Credentials for machine clients (core systems, neighbouring municipalities)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PREFIX_LENGTH = 8


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token limited to the permission codes in ``scopes``; only its hash is stored."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH, db_index=True)
    key_digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("スコープ"), default=list)
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="api_tokens"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("有効期限"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("APIトークン")
        verbose_name_plural = _("APIトークン")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def issue(cls, name: str, scopes: list[str], department, **extra) -> tuple[ApiToken, str]:
        """Create a token; the plain key is returned once and never stored."""
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(
            name=name,
            prefix=key[:PREFIX_LENGTH],
            key_digest=digest_of(key),
            scopes=sorted(set(scopes)),
            department=department,
            **extra,
        )
        return token, key

    @property
    def usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotentRequest(models.Model):
    """One ``Idempotency-Key`` used by one client: the request it covered and the answer given.

    ``status_code`` stays empty while the first request is still being handled, which is
    how a concurrent duplicate is recognised (409) instead of being run twice.
    """

    key = models.CharField(max_length=255)
    client = models.CharField(max_length=40)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="one_use_per_client_key")
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.method} {self.path} [{self.key}]"
