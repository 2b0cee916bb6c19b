"""In Chromium: a 組長 posts a circular with a question, a resident of the 組 reads it and
answers, the 組長 sees the tally; a 組長 types in the returned paper sign-off sheet; axe on
every page, in Japanese and English."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from musubi.community.circulars import leaders, services
from musubi.platform.accounts.models import User
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import District, Kumi, Relationship, Resident

pytestmark = pytest.mark.browser


def _head(kumi: Kumi, family: str, banchi: str) -> Resident:
    address = residents.create_address(
        district=kumi.district, kumi=kumi, postal_code="399-4231", town="中沢", banchi=banchi
    )
    person = residents.PersonDetails(family, "太郎", "テスト", "タロウ", dt.date(1970, 1, 1), "1")
    return residents.move_in(
        person,
        household=residents.new_household(address),
        relationship=Relationship.HEAD,
        on=dt.date(2020, 1, 1),
    )


def _signed_in(new_context, live_server, resident: Resident, language: str):
    email = f"r{resident.pk}@example.jp"
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        username=email, email=email, password="browser-test-pass-1"
    )
    residents.link_account(user, resident, method="demo")
    client = Client()
    client.force_login(user)
    context = new_context(language)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value}
    context.add_cookies([{**cookie, "url": live_server.url}])
    return context.new_page()


@pytest.fixture
def kumi(transactional_db) -> Kumi:
    residents.ensure_districts()
    found = Kumi.objects.get(district=District.objects.get(code="nakazawa"), number=1)
    leader = _head(found, "組長", "1")
    start = timezone.localdate() - dt.timedelta(days=1)
    leaders.appoint(leader, role="kumicho", district=found.district, kumi=found,
                    term_start=start, term_end=None, by=None)  # fmt: skip
    return found


@pytest.mark.parametrize("language", ["ja", "en"])
def test_post_read_reply_and_tally(kumi, new_context, live_server, axe, language):
    leader = Resident.objects.get(family_name="組長")
    neighbour = _head(kumi, "隣人", "2")
    page = _signed_in(new_context, live_server, leader, language)
    page.goto("/circulars/lead/new/")
    axe(page)
    page.fill("#id_title_ja", "草刈り")
    page.fill("#id_title_en", "Grass cutting")
    page.fill("#id_body_ja", "日曜日に草刈りをします。")
    page.fill("#id_body_en", "We cut the grass on Sunday.")
    page.check(f"input[name=targets][value=k{kumi.pk}]")
    page.check("#id_ask_attendance")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/circulars/lead/*/")
    axe(page)

    resident = _signed_in(new_context, live_server, neighbour, language)
    resident.goto("/circulars/")
    axe(resident)
    resident.get_by_role("link", name="草刈り" if language == "ja" else "Grass cutting").click()
    axe(resident)
    resident.get_by_role(
        "button", name="確認しました" if language == "ja" else "I have read this"
    ).click()
    resident.get_by_label("出席" if language == "ja" else "Attend", exact=True).check()
    resident.get_by_role("button", name="回答する" if language == "ja" else "Answer").click()
    assert "隣人 太郎" in resident.locator("main").inner_text()
    axe(resident)

    page.reload()
    tally = page.locator("main table").first.inner_text()
    assert "1" in tally and ("出席" in tally or "Attend" in tally)
    axe(page)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_leader_records_the_returned_paper_sheet(kumi, new_context, live_server, axe, language):
    """A refused sheet keeps what was typed and names the row; the corrected one is counted."""
    leader = Resident.objects.get(family_name="組長")
    stamped, slip = _head(kumi, "印鑑", "2"), _head(kumi, "用紙", "3")
    page = _signed_in(new_context, live_server, leader, language)
    user = User.objects.get(email=f"r{leader.pk}@example.jp")
    draft = services.Draft(
        titles={"ja": "草刈り", "en": "Grass cutting"},
        bodies={"ja": "日曜日に草刈りをします。", "en": "We cut the grass on Sunday."},
        targets=[leaders.Area(kumi.district_id, kumi.pk)],
        due_date=timezone.localdate() + dt.timedelta(days=7),
        questions=[
            services.QuestionDraft("attendance"),
            services.QuestionDraft("text", {"ja": "ご意見", "en": "Comments"}),
        ],
    )
    circular = services.post(draft, by=user, where=leaders.jurisdiction_of(user))
    attendance, comment = (q.pk for q in circular.questions.all())
    page.goto(f"/circulars/lead/{circular.pk}/paper/")
    axe(page)
    page.check(f"#read-{stamped.household_id}")
    page.fill(f"#answer-{slip.household_id}-{comment}", "雨天中止で")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(f"#answer-{slip.household_id}-{attendance}-error")).to_be_visible()
    assert page.locator(f"#read-{stamped.household_id}").is_checked()
    assert page.input_value(f"#answer-{slip.household_id}-{comment}") == "雨天中止で"
    axe(page)
    page.select_option(f"#answer-{slip.household_id}-{attendance}", "attend")
    page.locator("main form button[type=submit]").click()
    table = page.locator("main table").inner_text()
    assert ("確認済み（紙）" if language == "ja" else "Read (paper)") in table
    axe(page)
    page.goto(f"/circulars/lead/{circular.pk}/")
    summary = page.locator("section[aria-labelledby=summary-heading]").inner_text()
    assert ("うち紙 2" if language == "ja" else "of which on paper: 2") in summary
    axe(page)
