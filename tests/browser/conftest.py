"""Headless Chromium from Debian, driven by Playwright, against pytest-django's live server.

One browser per session, a fresh context (cookies, storage) per test. ``axe`` checks a page
with axe-core and fails on serious or critical violations, listing each one readably.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from musubi.platform.accounts.models import (
    Department,
    PermissionGrant,
    Role,
    StaffMembership,
    TotpDevice,
    User,
)

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made from the
# test body (fixtures creating users) would otherwise be refused as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
PASSWORD = "browser-test-pass-1"
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_context(browser: Browser, live_server) -> Iterator[Callable[..., BrowserContext]]:
    """Open a browser context on the live server: ``new_context(language="en", **options)``."""
    opened: list[BrowserContext] = []

    def open_context(language: str = "ja", **options) -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


@pytest.fixture
def page(new_context) -> Page:
    return new_context().new_page()


def _describe(violations: list[dict], url: str) -> str:
    lines = [f"{len(violations)} serious/critical accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {' '.join(map(str, node['target']))}")
            lines.append(f"       {node['html'][:160]}")
            summary = node.get("failureSummary", "").replace("\n", "\n       ")
            lines.append(f"       {summary}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe() -> Callable[[Page], None]:
    """``axe(page)``: assert axe-core finds no serious or critical violation on ``page``."""
    checker = Axe()

    def check(page: Page) -> None:
        page.wait_for_load_state()  # a click's navigation may still be loading
        violations = checker.run(page).response["violations"]
        blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
        assert not blocking, _describe(blocking, page.url)

    return check


@pytest.fixture
def make_staff(transactional_db) -> Callable[..., tuple[User, str]]:
    """A staff member with a confirmed authenticator: returns (user, TOTP secret)."""
    department, _ = Department.objects.get_or_create(
        code="shimin", defaults={"name": "市民課", "name_en": "Citizens Division"}
    )

    def make(*codes: str, email: str = "clerk@city.example.jp", role: str = Role.CLERK):
        user = User.objects.create_user(username=email, email=email, password=PASSWORD)
        StaffMembership.objects.create(user=user, department=department, role=role)
        for code in ("staff.dashboard", *codes):
            PermissionGrant.objects.get_or_create(department=department, role=role, permission=code)
        secret = pyotp.random_base32()
        TotpDevice.objects.create(user=user, secret=secret, confirmed_at="2026-01-01T00:00:00Z")
        return user, secret

    return make


def _staff_login(page: Page, user: User, secret: str) -> None:
    """The real staff login through the pages: email + password, then the TOTP code."""
    page.goto("/accounts/staff/login/")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/staff/verify/")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/staff/")


@pytest.fixture
def registry_resident(transactional_db, register_resident):
    """One resident, head of a household in 中沢, for the registry's record pages."""
    return register_resident("太郎", "タロウ", dt.date(1960, 4, 1), "1", banchi="1")


@pytest.fixture
def staff_login() -> Callable[[Page, User, str], None]:
    """``staff_login(page, user, secret)``: log in through the staff login and TOTP pages."""
    return _staff_login


@pytest.fixture
def resident_context(new_context, live_server, transactional_db) -> Callable[..., BrowserContext]:
    """``resident_context(language)``: a context holding a logged-in resident's session.

    The resident password login has its own tests; here only the pages behind it matter.
    """

    def open_context(language: str = "ja") -> BrowserContext:
        user = User.objects.create_user(username="r", email="r@example.jp", password=PASSWORD)
        client = Client()
        client.force_login(user)
        session = {"name": "sessionid", "value": client.cookies["sessionid"].value}
        context = new_context(language)
        context.add_cookies([{**session, "url": live_server.url}])
        return context

    return open_context
