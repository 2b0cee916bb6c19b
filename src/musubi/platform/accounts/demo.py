"""Demo logins for the synthetic Komagane: one clerk per department, a few senior roles,
and three residents linked to registry records. Everything here is for demonstrations only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from musubi.platform.accounts import services
from musubi.platform.accounts.models import Department, Role, StaffMembership, TotpDevice, User

DEMO_PASSWORD = "komagane-demo-2026"  # noqa: S105 - published on purpose: demo data only
DEMO_TOTP_SECRET = "MUSUBIDEMOKOMAGANETOTPSECRETXYZW"  # noqa: S105 - demo data only
DEMO_DOMAIN = "demo.musubi.example"
RESIDENT_LOGINS = 3
SENIOR_ROLES = [("shimin", Role.SUPERVISOR), ("shimin", Role.HEAD), ("somu", Role.ADMINISTRATOR)]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    description: str


def staff_email(department_code: str, role: str) -> str:
    return f"{department_code}.{role}@{DEMO_DOMAIN}"


def resident_email(number: int) -> str:
    return f"resident{number}@{DEMO_DOMAIN}"


def _staff_roles() -> list[tuple[Department, str]]:
    departments = list(Department.objects.order_by("order"))
    by_code = {d.code: d for d in departments}
    return [(d, Role.CLERK.value) for d in departments] + [
        (by_code[code], role.value) for code, role in SENIOR_ROLES
    ]


def _demo_user(email: str, password_hash: str, display_name: str) -> User:
    user, _ = User.objects.update_or_create(
        email=email,
        defaults={
            "username": email,
            "password": password_hash,
            "display_name": display_name,
            "email_verified": True,
            "is_active": True,
        },
    )
    return user


def seed_accounts() -> dict[str, int]:
    """Create (or refresh) the demo logins; running it again changes nothing."""
    with transaction.atomic():
        services.sync_reference_data()
        password_hash = make_password(DEMO_PASSWORD)
        staff = _seed_staff(password_hash)
        residents = _seed_residents(password_hash)
    return {
        "departments": Department.objects.count(),
        "staff logins": staff,
        "resident logins": residents,
    }


def _seed_staff(password_hash: str) -> int:
    roles = _staff_roles()
    for department, role in roles:
        label = f"{department.name} {Role(role).label}"
        user = _demo_user(staff_email(department.code, role), password_hash, str(label))
        StaffMembership.objects.update_or_create(
            user=user, department=department, defaults={"role": role}
        )
        TotpDevice.objects.update_or_create(
            user=user, defaults={"secret": DEMO_TOTP_SECRET, "confirmed_at": user.date_joined}
        )
    return len(roles)


def _seed_residents(password_hash: str) -> int:
    from musubi.platform.residents import demo as residents_demo
    from musubi.platform.residents import services as residents

    people = residents_demo.demo_residents(RESIDENT_LOGINS)
    for number, resident in enumerate(people, start=1):
        user = _demo_user(resident_email(number), password_hash, str(resident))
        residents.link_account(user, resident, method="demo")
    return len(people)


def has_demo_accounts() -> bool:
    demo_devices = TotpDevice.objects.filter(secret=DEMO_TOTP_SECRET)
    return demo_devices.filter(user__email__endswith=f"@{DEMO_DOMAIN}").exists()


def demo_logins() -> list[DemoLogin]:
    """Who to log in as in the demo, for ``musubi demo`` to print."""
    logins = [
        DemoLogin(
            staff_email(d.code, role),
            f"staff: {d.name_en} ({d.name}), {role} — second factor: ./musubi manage demo_totp",
        )
        for d, role in _staff_roles()
    ]
    return logins + [
        DemoLogin(resident_email(n), f"resident linked to a registry record (#{n})")
        for n in range(1, RESIDENT_LOGINS + 1)
    ]
