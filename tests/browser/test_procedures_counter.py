"""書かない窓口 in Chromium: staff find the resident, fill in 児童手当 from the registry, the
resident confirms on the tablet view, staff see it submitted; axe on every page, ja and en."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from musubi.citizen.procedures import services
from musubi.citizen.procedures.models import Application, Channel, Procedure, Status
from musubi.platform.accounts.models import Department, Role
from tests.citizen.procedures.backoffice import CHILD_FORM, register_family

pytestmark = pytest.mark.browser
NEXT = "main form.form-engine button.button[type=submit]:not([name])"
CODES = ("procedures.view", "procedures.process", "procedures.counter", "procedures.decide")


def _scan() -> dict:
    """A scanned passport page as the counter's scanner would hand it over."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buffer, format="PNG")
    return {"name": "passport.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def _procedure() -> Procedure:
    procedure = Procedure.objects.create(
        code="jidou-teate-test",
        name_ja="児童手当 認定請求",
        name_en="Child allowance claim",
        category="kosodate",
        department=Department.objects.get(code="shimin"),
        processing_days=15,
        channels=[Channel.ONLINE, Channel.COUNTER],
        attachments=[
            {"code": "identity_document", "required": True,
             "label": {"ja": "本人確認書類", "en": "Proof of identity"}},
        ],
    )  # fmt: skip
    services.publish_version(services.create_version(procedure, CHILD_FORM))
    return procedure


@pytest.mark.parametrize("language", ["ja", "en"])
def test_child_allowance_through_the_counter(
    language, new_context, make_staff, staff_login, axe, transactional_db
):
    user, secret = make_staff(*CODES, role=Role.SUPERVISOR)
    _procedure()
    mother = register_family()
    staff = new_context(language).new_page()
    staff_login(staff, user, secret)

    staff.goto("/procedures/staff/")
    axe(staff)
    staff.goto("/procedures/counter/")
    axe(staff)
    staff.fill("input[name=name]", "はなこ")
    staff.locator("main form[role=search] button[type=submit]").click()
    staff.locator(f"a[href='/procedures/counter/resident/{mother.pk}/']").click()
    axe(staff)
    staff.locator("main form button[type=submit]").click()

    staff.wait_for_url(re.compile(r".*/form/applicant/$"))
    assert "駒ヶ根" in staff.locator("main").inner_text()  # from the registry, not typed
    axe(staff)
    staff.fill("input[name=f-phone]", "0265-83-2111")
    staff.locator(NEXT).click()
    staff.wait_for_url(re.compile(r".*/form/children/$"))
    staff.check("#f-children-0-living_together-0")
    staff.check("#f-children-1-living_together-0")
    staff.locator(NEXT).click()
    staff.wait_for_url(re.compile(r".*/review/$"))
    staff.locator("form[action$='/documents/'] button[type=submit]").click()
    staff.wait_for_url(re.compile(r".*/documents/$"))
    axe(staff)
    staff.set_input_files("#upload-identity_document", files=[_scan()])
    staff.locator("form[action$='/handover/'] button[type=submit]").click()
    staff.wait_for_url(re.compile(r".*/waiting/$"))
    axe(staff)
    confirm_url = staff.locator("#confirm-link").get_attribute("href")

    tablet = new_context(language).new_page()  # the second screen, not signed in
    tablet.goto(confirm_url)
    body = tablet.locator("main").inner_text()
    assert "駒ヶ根 さくら" in body and "0265-83-2111" in body and "passport.png" in body
    axe(tablet)
    tablet.locator("main form button[type=submit]").click()
    application = Application.objects.get(channel=Channel.COUNTER)
    assert application.receipt_number in tablet.locator("main").inner_text()
    assert [a.requirement for a in application.attachments.all()] == ["identity_document"]
    axe(tablet)

    # the waiting page refreshes itself (no JavaScript) until it shows the result
    expect(staff.locator("main")).to_contain_text(application.receipt_number, timeout=15_000)
    staff.locator(f"a[href='/procedures/staff/{application.pk}/']").click()
    staff.wait_for_url(re.compile(rf".*/procedures/staff/{application.pk}/$"))
    assert application.status == Status.SUBMITTED
    axe(staff)
    staff.goto("/procedures/staff/")
    assert application.receipt_number in staff.locator("main").inner_text()
    axe(staff)
