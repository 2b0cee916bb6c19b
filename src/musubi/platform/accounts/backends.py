"""Email + password authentication (argon2 hashes via PASSWORD_HASHERS)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """ModelBackend keyed on the case-insensitive email (USERNAME_FIELD)."""
