"""Fixtures shared by every test package: staff members with chosen grants, signed in."""

from __future__ import annotations

import pytest

from musubi.platform.accounts.models import Department, PermissionGrant, Role, StaffMembership, User


def _staff(code: str, *grants: str, role: str = Role.CLERK) -> User:
    department, _ = Department.objects.get_or_create(
        code=code, defaults={"name": f"{code}課", "name_en": f"{code} division"}
    )
    email = f"{code}.{role}@city.example.jp"
    user = User.objects.create_user(username=email, email=email, password="long-enough-pass-1")
    StaffMembership.objects.create(user=user, department=department, role=role)
    for permission in grants:
        PermissionGrant.objects.get_or_create(
            department=department, role=role, permission=permission
        )
    return user


@pytest.fixture
def make_staff(db):
    """``make_staff(department_code, *granted_codes, role="clerk")`` → a staff user."""
    return _staff


@pytest.fixture
def signed_in(client):
    """``signed_in(user)``: the test client, logged in with the second factor passed."""

    def sign_in(user: User):
        client.force_login(user)
        session = client.session
        session["staff_mfa_passed"] = True
        session.save()
        return client

    return sign_in
