"""Public API of the api app: issuing and revoking machine clients' tokens."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from musubi.platform.accounts.models import Department, User
from musubi.platform.accounts.permissions import REGISTRY
from musubi.platform.api.models import ApiToken

MAX_EXPIRY_DAYS = 3650


class TokenError(ValueError):
    """A token request that cannot be honoured; the message is meant for the operator."""


def issue_token(
    name: str,
    department_code: str,
    scopes: list[str],
    expires_days: int | None = None,
    created_by: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token limited to ``scopes`` for ``department``; returns it and its plain key.

    The key is shown once and only its hash is kept, so a lost key means a new token.
    """
    name = name.strip()
    if not name:
        raise TokenError(_("トークンの名称を指定してください。"))
    if ApiToken.objects.filter(name=name).exists():
        raise TokenError(_("「%(name)s」という名称のトークンは既にあります。") % {"name": name})
    department = Department.objects.filter(code=department_code).first()
    if department is None:
        raise TokenError(_("部署コード「%(code)s」は存在しません。") % {"code": department_code})
    _check_scopes(scopes)
    expires_at = None
    if expires_days is not None:
        if not 1 <= expires_days <= MAX_EXPIRY_DAYS:
            raise TokenError(
                _("有効日数は 1〜%(max)d 日で指定してください。") % {"max": MAX_EXPIRY_DAYS}
            )
        expires_at = timezone.now() + timedelta(days=expires_days)
    with transaction.atomic():
        return ApiToken.issue(
            name, scopes, department, expires_at=expires_at, created_by=created_by
        )


def _check_scopes(scopes: list[str]) -> None:
    if not scopes:
        raise TokenError(_("スコープを1つ以上指定してください。"))
    unknown = sorted(set(scopes) - set(REGISTRY))
    if unknown:
        raise TokenError(
            _("不明なスコープです：%(scopes)s（使えるもの：%(known)s）")
            % {"scopes": ", ".join(unknown), "known": ", ".join(sorted(REGISTRY))}
        )


def revoke_token(name: str) -> ApiToken:
    """Stop a token from working at once; the row stays, so past audit rows keep their client."""
    token = ApiToken.objects.filter(name=name).first()
    if token is None:
        raise TokenError(_("「%(name)s」という名称のトークンはありません。") % {"name": name})
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
