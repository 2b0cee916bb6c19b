"""Lock a login after repeated failures in a row (password or second factor).

Known accounts keep their count on the User row; unknown emails are counted in the
cache the same way, so the answer to "is this email locked?" never tells an attacker
whether the account exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from musubi.platform.accounts.models import User


def _account(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def _cache_key(email: str) -> str:
    return f"accounts.lockout:{email.strip().lower()}"


def _lock_end() -> datetime:
    return timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def locked_until(email: str) -> datetime | None:
    """When the lock on ``email`` ends, or None when it may try now."""
    user = _account(email)
    end = user.locked_until if user else cache.get(_cache_key(email), {}).get("until")
    return end if end is not None and end > timezone.now() else None


def record_failure(email: str) -> datetime | None:
    """Count one more failure in a row; at the threshold, lock and return when it ends."""
    user = _account(email)
    if user is None:
        return _record_unknown_failure(email)
    user.failed_logins += 1
    if user.failed_logins >= settings.LOGIN_LOCKOUT_THRESHOLD:
        user.failed_logins = 0
        user.locked_until = _lock_end()
    user.save(update_fields=["failed_logins", "locked_until"])
    return locked_until(email)


def _record_unknown_failure(email: str) -> datetime | None:
    state = cache.get(_cache_key(email), {"failures": 0, "until": None})
    state["failures"] += 1
    if state["failures"] >= settings.LOGIN_LOCKOUT_THRESHOLD:
        state = {"failures": 0, "until": _lock_end()}
    cache.set(_cache_key(email), state, timeout=settings.LOGIN_LOCKOUT_MINUTES * 60 * 2)
    return locked_until(email)


def record_success(user: User) -> None:
    """A completed login clears the failure count and any expired lock."""
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
        user.save(update_fields=["failed_logins", "locked_until"])
