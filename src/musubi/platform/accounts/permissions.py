"""The permission registry: apps declare what can be done; roles grant it per department.

An app declares its permissions in its own ``permissions.py`` by calling ``declare``;
the accounts app's AppConfig imports every such module at start-up. Views guard
themselves with ``staff_required(code)`` (pages) or ``HasStaffPermission`` (API), and
``musubi.platform.accounts.services.has_permission`` answers the question in code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permission:
    code: str
    label_ja: str
    label_en: str


REGISTRY: dict[str, Permission] = {}


def declare(code: str, label_ja: str, label_en: str) -> Permission:
    """Register ``code`` (``app.action``); declaring the same code twice is a programming error."""
    if code in REGISTRY and REGISTRY[code] != Permission(code, label_ja, label_en):
        raise ValueError(f"permission {code} declared twice with different labels")
    REGISTRY[code] = Permission(code, label_ja, label_en)
    return REGISTRY[code]


def known(code: str) -> Permission:
    try:
        return REGISTRY[code]
    except KeyError:
        raise LookupError(f"undeclared permission {code!r}") from None


declare("accounts.manage", "職員アカウントと権限の管理", "Manage staff accounts and grants")
declare("staff.dashboard", "職員ポータルの利用", "Use the staff portal")
