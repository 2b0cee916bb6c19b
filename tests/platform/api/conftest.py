"""API tokens for machine-client tests (staff fixtures are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from musubi.platform.accounts.models import Department
from musubi.platform.api.models import ApiToken


@pytest.fixture
def issue_token(db):
    """``issue_token(*scopes, name=..., department=...)`` → the Authorization header value."""

    def issue(*scopes: str, name: str = "core-system", department: str = "shimin") -> str:
        dept, _ = Department.objects.get_or_create(
            code=department, defaults={"name": f"{department}課", "name_en": department}
        )
        _token, key = ApiToken.issue(name, list(scopes), dept)
        return f"Bearer {key}"

    return issue
