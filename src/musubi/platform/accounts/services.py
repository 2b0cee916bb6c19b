"""Public API of the accounts app: who may do what, in which department, and who may log in."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from musubi.platform.accounts.models import (
    Department,
    ExternalIdentity,
    PermissionGrant,
    Role,
    User,
)
from musubi.platform.accounts.permissions import REGISTRY, known

DATA_DIR = Path(__file__).resolve().parent / "data"
EVERY = "*"
PLACEHOLDER_DOMAIN = "@users.invalid"


def departments_granting(user: User | AnonymousUser, code: str) -> list[Department]:
    """Departments in which ``user``'s role grants ``code`` (empty for non-staff)."""
    known(code)
    if not user.is_authenticated or not user.is_active:
        return []
    grants = PermissionGrant.objects.filter(
        permission=code,
        department__members__user=user,
    ).select_related("department")
    roles = dict(user.memberships.values_list("department_id", "role"))
    return [g.department for g in grants if roles.get(g.department_id) == g.role]


def has_permission(user: User | AnonymousUser, code: str) -> bool:
    """True when any of ``user``'s (department, role) memberships is granted ``code``."""
    return bool(departments_granting(user, code))


def is_staff_member(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.memberships.exists())


# --- reference data: departments and grants live in data files, not in code -----------------


class ReferenceDataError(ValueError):
    """The departments or grants file cannot be loaded; the message lists every problem."""


@dataclass(frozen=True)
class GrantRow:
    department: str
    role: str
    permission: str


def sync_reference_data(
    departments_file: Path | None = None, grants_file: Path | None = None
) -> dict[str, int]:
    """Make the database hold exactly the departments and grants of the data files.

    Everything is validated before anything is written, so a bad file changes nothing.
    Running it twice changes nothing the second time.
    """
    departments = _read_departments(departments_file or DATA_DIR / "departments.json")
    grants = _read_grants(grants_file or DATA_DIR / "grants.json", [d["code"] for d in departments])
    with transaction.atomic():
        by_code = _save_departments(departments)
        created, removed = _save_grants(grants, by_code)
    return {"departments": len(by_code), "grants created": created, "grants removed": removed}


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReferenceDataError(f"{path}: cannot read JSON: {exc}") from exc


def _read_departments(path: Path) -> list[dict[str, str]]:
    rows = _read_json(path)
    if not isinstance(rows, list):
        raise ReferenceDataError(f"{path}: expected a list of departments")
    problems = [
        f"{path}: entry {i + 1} needs string fields code, name, name_en"
        for i, row in enumerate(rows)
        if not isinstance(row, dict)
        or not all(isinstance(row.get(k), str) and row.get(k) for k in ("code", "name", "name_en"))
    ]
    codes = [row.get("code") for row in rows if isinstance(row, dict)]
    problems += [f"{path}: department {c!r} listed twice" for c in set(codes) if codes.count(c) > 1]
    if problems:
        raise ReferenceDataError("\n".join(problems))
    return rows


def _read_grants(path: Path, department_codes: list[str]) -> list[GrantRow]:
    table = _read_json(path)
    if not isinstance(table, dict):
        raise ReferenceDataError(f"{path}: expected an object keyed by department code")
    rows: list[GrantRow] = []
    problems: list[str] = []
    for dept, by_role in table.items():
        if dept.startswith("_"):
            continue
        if dept != EVERY and dept not in department_codes:
            problems.append(f"{path}: unknown department {dept!r}")
            continue
        for role, codes in by_role.items():
            if role != EVERY and role not in Role.values:
                problems.append(f"{path}: {dept}: unknown role {role!r}")
                continue
            problems += [
                f"{path}: {dept}/{role}: undeclared permission {code!r}"
                for code in codes
                if code not in REGISTRY
            ]
            rows += _expand(dept, role, codes, department_codes)
    if problems:
        raise ReferenceDataError("\n".join(problems))
    return rows


def _expand(dept: str, role: str, codes: list[str], department_codes: list[str]) -> list[GrantRow]:
    depts = department_codes if dept == EVERY else [dept]
    roles = Role.values if role == EVERY else [role]
    return [GrantRow(d, r, c) for d in depts for r in roles for c in codes if c in REGISTRY]


def _save_departments(rows: list[dict[str, str]]) -> dict[str, Department]:
    by_code = {}
    for order, row in enumerate(rows, start=1):
        by_code[row["code"]], _ = Department.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["name"], "name_en": row["name_en"], "order": order},
        )
    return by_code


def _save_grants(rows: list[GrantRow], by_code: dict[str, Department]) -> tuple[int, int]:
    wanted = {(by_code[r.department].pk, r.role, r.permission) for r in rows}
    existing = {
        (g.department_id, g.role, g.permission): g.pk
        for g in PermissionGrant.objects.filter(department__in=by_code.values())
    }
    stale = [pk for key, pk in existing.items() if key not in wanted]
    PermissionGrant.objects.filter(pk__in=stale).delete()
    PermissionGrant.objects.bulk_create(
        PermissionGrant(department_id=d, role=r, permission=p)
        for d, r, p in sorted(wanted - existing.keys())
    )
    return len(wanted - existing.keys()), len(stale)


# --- residents who log in through an OpenID Connect provider ---------------------------------


def sign_in_external(issuer: str, claims: dict[str, Any]) -> User:
    """The account for (issuer, sub), created on first login, then linked to the registry."""
    with transaction.atomic():
        identity = (
            ExternalIdentity.objects.select_related("user")
            .filter(issuer=issuer, subject=claims["sub"])
            .first()
        )
        user = identity.user if identity else _create_external_user(issuer, claims)
        _adopt_email(user, claims)
        ExternalIdentity.objects.filter(issuer=issuer, subject=claims["sub"]).update(
            last_login_at=timezone.now()
        )
    link_to_registry(user, claims)
    return user


def _create_external_user(issuer: str, claims: dict[str, Any]) -> User:
    handle = uuid.uuid4().hex
    user = User(
        username=f"oidc-{handle}",
        email=f"oidc-{handle}{PLACEHOLDER_DOMAIN}",
        display_name=str(claims.get("name", ""))[:100],
    )
    user.set_unusable_password()
    user.save()
    ExternalIdentity.objects.create(user=user, issuer=issuer, subject=claims["sub"])
    return user


def _adopt_email(user: User, claims: dict[str, Any]) -> None:
    """Take the provider's email in place of the placeholder, unless another account has it."""
    email = str(claims.get("email") or "").strip()
    placeholder = user.email.endswith(PLACEHOLDER_DOMAIN)
    if not email or not (placeholder or user.email.lower() == email.lower()):
        return
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        return
    user.email = email
    user.email_verified = claims.get("email_verified", True) is not False
    user.save(update_fields=["email", "email_verified"])


def split_name(name: str) -> tuple[str, str]:
    """'氏 名' → ('氏', '名'): the デジタル認証アプリ gives one string, split at the first space
    (full- or half-width)."""
    parts = name.strip().split(maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (name.strip(), "")


def _address_text(address: object) -> str:
    if isinstance(address, dict):
        return str(address.get("formatted") or "")
    return str(address or "")


def _birthdate(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def link_to_registry(user: User, claims: dict[str, Any]) -> bool:
    """Link ``user`` to the registry record matching the verified name, birthdate and address."""
    from musubi.platform.residents import services as residents

    family, given = split_name(str(claims.get("name") or ""))
    birthdate = _birthdate(claims.get("birthdate"))
    address = _address_text(claims.get("address"))
    if not (family and given and birthdate and address):
        return False
    resident = residents.match_resident(
        family_name=family, given_name=given, birthdate=birthdate, address=address
    )
    if resident is None:
        return False
    residents.link_account(user, resident, method="oidc")
    return True
