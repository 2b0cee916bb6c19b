"""Email + password authentication (argon2 hashes via PASSWORD_HASHERS)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """ModelBackend keyed on the case-insensitive email (USERNAME_FIELD)."""

    def get_user(self, user_id: Any) -> Any:
        """The session's user with its registry link, if any, in the same query.

        Resident pages and submissions ask for the link (``residents.services.resident_for``)
        on nearly every request; a join here cost less than the second query it saves.
        """
        user = (
            get_user_model()
            ._default_manager.select_related("resident_link__resident")
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
