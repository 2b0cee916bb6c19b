"""Every guarded URL × every (department, role): allowed exactly when the grants say so.

The routes are found by walking ``musubi.urls``, so views added later by any app are
covered without touching this file. Pages declare their permission with
``staff_required(code)`` (the view's ``staff_permission``), API views with
``require(code)`` (a permission class carrying ``permission_code``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from musubi.platform.accounts import services
from musubi.platform.accounts.models import Department, PermissionGrant, Role, StaffMembership, User

DUMMY_BY_CONVERTER = {
    "IntConverter": "1",
    "UUIDConverter": str(uuid.UUID(int=1)),
    "SlugConverter": "x",
    "StringConverter": "x",
    "PathConverter": "x",
}


@dataclass(frozen=True)
class Route:
    path: str
    callback: object

    @property
    def codes(self) -> list[str]:
        """Permission codes the view declares (empty: not guarded by a staff permission)."""
        found = [getattr(self.callback, "staff_permission", None)]
        view_class = getattr(self.callback, "view_class", None)
        found.append(getattr(getattr(view_class, "dispatch", None), "staff_permission", None))
        api_class = getattr(self.callback, "cls", None)
        for permission in getattr(api_class, "permission_classes", []):
            found.append(getattr(permission, "permission_code", None))
        return sorted({code for code in found if code})

    @property
    def is_api(self) -> bool:
        return hasattr(self.callback, "cls")


def _concrete(pattern) -> str:
    """The pattern's text with every parameter replaced by a dummy value."""
    text = str(pattern.pattern)
    converters = getattr(pattern.pattern, "converters", {})
    for name, converter in converters.items():
        dummy = DUMMY_BY_CONVERTER.get(type(converter).__name__, "1")
        text = re.sub(rf"<(\w+:)?{name}>", dummy, text)
    text = re.sub(r"\(\?P<\w+>[^)]*\)", "1", text)  # regex routes (DRF routers)
    return text.lstrip("^").rstrip("$").replace("\\.", ".")


def walk(patterns=None, prefix: str = ""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + _concrete(pattern))
        elif isinstance(pattern, URLPattern):
            if "format" in getattr(pattern.pattern, "regex", re.compile("")).groupindex:
                continue  # DRF format-suffix twins of routes already walked
            yield Route("/" + prefix + _concrete(pattern), pattern.callback)


ROUTES = list(walk())
GUARDED = [route for route in ROUTES if route.codes]


def test_the_walk_finds_routes_of_included_modules():
    paths = {route.path for route in ROUTES}
    assert "/accounts/staff/login/" in paths
    assert "/staff/" in paths
    assert any(route.codes == ["staff.dashboard"] for route in GUARDED)


def test_every_staff_url_declares_a_permission():
    undeclared = [
        f"{route.path} ({getattr(route.callback, '__module__', '?')}."
        f"{getattr(route.callback, '__name__', route.callback)})"
        for route in ROUTES
        if route.path.startswith("/staff/") and not route.codes
    ]
    assert not undeclared, (
        "These staff URLs have no declared permission; guard them with "
        "@staff_required(code) or require(code):\n  " + "\n  ".join(undeclared)
    )


@pytest.fixture
def members(reference_data) -> list[tuple[str, str, User]]:
    """One staff member for each (department, role) that the seeded grants mention."""
    combos = sorted(
        set(PermissionGrant.objects.values_list("department__code", "role")),
        key=lambda c: (c[0], Role.values.index(c[1])),
    )
    departments = {d.code: d for d in Department.objects.all()}
    people = []
    for code, role in combos:
        email = f"{code}.{role}@matrix.example.jp"
        user = User.objects.create(username=email, email=email, email_verified=True)
        StaffMembership.objects.create(user=user, department=departments[code], role=role)
        people.append((code, role, user))
    return people


def _request(client, path: str):
    response = client.get(path)
    if response.status_code == 405:
        response = client.post(path)
    return response


@pytest.mark.parametrize("route", GUARDED, ids=[r.path for r in GUARDED])
def test_role_matrix(client, members, staff_session, route):
    mismatches = []
    for department, role, user in members:
        granted = all(services.has_permission(user, code) for code in route.codes)
        staff_session(client, user)
        status = _request(client, route.path).status_code
        if (status == 403) == granted:
            expected = "allowed" if granted else "403"
            mismatches.append(f"{department}/{role}: got {status}, expected {expected}")
        client.logout()
    assert not mismatches, f"{route.path} {route.codes}:\n  " + "\n  ".join(mismatches)


@pytest.mark.parametrize("route", GUARDED, ids=[r.path for r in GUARDED])
def test_anonymous_is_sent_to_login_or_refused(client, db, route):
    response = _request(client, route.path)
    if route.is_api:
        assert response.status_code in (401, 403), route.path
    else:
        assert response.status_code == 302, route.path
        assert "/login/" in response.url, route.path


@pytest.mark.parametrize("route", GUARDED, ids=[r.path for r in GUARDED])
def test_password_alone_is_not_enough(client, members, route):
    """A staff member who has not passed the second factor is treated as not logged in."""
    granted = next(u for _, _, u in members if services.has_permission(u, route.codes[0]))
    client.force_login(granted)
    response = _request(client, route.path)
    assert response.status_code in (302, 401, 403), route.path
