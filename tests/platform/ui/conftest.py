import datetime as dt

import pytest

from musubi.platform.accounts.models import Department, PermissionGrant, Role, StaffMembership, User
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import District, Relationship


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
def linked_resident(resident_user):
    residents.ensure_districts()
    district = District.objects.get(name="中沢")
    address = residents.create_address(
        district=district, postal_code="399-4231", town="中沢", banchi="1234-5"
    )
    household = residents.new_household(address)
    person = residents.PersonDetails(
        family_name="駒ヶ根",
        given_name="花子",
        family_name_kana="コマガネ",
        given_name_kana="ハナコ",
        birthdate=dt.date(1989, 1, 7),
        sex="2",
    )
    resident = residents.move_in(
        person, household=household, relationship=Relationship.HEAD, on=dt.date(2020, 4, 1)
    )
    residents.link_account(resident_user, resident, "demo")
    return resident
