import pytest

from musubi.platform.accounts.models import Department, PermissionGrant, Role, StaffMembership, User
from musubi.platform.residents import services as residents


@pytest.fixture
def resident_user(db):
    return User.objects.create_user(
        username="hanako", email="hanako@example.jp", password="long-enough-pass-1"
    )


@pytest.fixture
def citizens_department(db):
    return Department.objects.create(code="shimin", name="市民課", name_en="Citizens Division")


def _staff_member(department, role=Role.CLERK, *grants: str, email="clerk@city.example.jp"):
    user = User.objects.create_user(username=email, email=email, password="long-enough-pass-1")
    StaffMembership.objects.create(user=user, department=department, role=role)
    for code in grants:
        PermissionGrant.objects.get_or_create(department=department, role=role, permission=code)
    return user


def _staff_client(client, user, mfa=True):
    client.force_login(user)
    if mfa:
        session = client.session
        session["staff_mfa_passed"] = True
        session.save()
    return client


@pytest.fixture
def staff_member(db):
    """Make a staff member: ``staff_member(department, role, *granted_codes, email=...)``."""
    return _staff_member


@pytest.fixture
def staff_client():
    """Log ``user`` into ``client`` as if the TOTP step had passed (unless ``mfa=False``)."""
    return _staff_client


@pytest.fixture
def linked_resident(resident_user, register_resident):
    resident = register_resident()
    residents.link_account(resident_user, resident, "demo")
    return resident
