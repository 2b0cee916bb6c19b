"""Fixtures for staff and resident accounts: departments from the data files, members by role."""

from __future__ import annotations

import pyotp
import pytest
from django.core.cache import cache
from django.utils import timezone

from musubi.platform.accounts import services
from musubi.platform.accounts.models import Department, StaffMembership, TotpDevice, User

PASSWORD = "correct-horse-battery-1"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Lockout counts for unknown emails live in the cache; keep tests independent."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reference_data(db) -> dict[str, int]:
    return services.sync_reference_data()


def _make_staff(department_code: str, role: str, *, email: str | None = None) -> User:
    """A staff member holding ``role`` in the department, password PASSWORD, no device yet."""
    email = email or f"{department_code}.{role}@city.example.jp"
    user = User.objects.create_user(username=email, email=email, password=PASSWORD)
    department = Department.objects.get(code=department_code)
    StaffMembership.objects.create(user=user, department=department, role=role)
    return user


def _give_device(user: User) -> pyotp.TOTP:
    """A confirmed authenticator for ``user``; returns the TOTP to compute codes with."""
    secret = pyotp.random_base32()
    TotpDevice.objects.create(user=user, secret=secret, confirmed_at=timezone.now())
    return pyotp.TOTP(secret)


def _staff_session(client, user: User):
    """``client`` logged in as ``user`` with the second factor passed."""
    client.force_login(user)
    session = client.session
    session["staff_mfa_passed"] = True
    session.save()
    return client


@pytest.fixture
def resident(db) -> User:
    return User.objects.create_user(
        username="taro@example.jp", email="taro@example.jp", password=PASSWORD, email_verified=True
    )


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def make_staff(db):
    return _make_staff


@pytest.fixture
def give_device(db):
    return _give_device


@pytest.fixture
def staff_session(db):
    return _staff_session
