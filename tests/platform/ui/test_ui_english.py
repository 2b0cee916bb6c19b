"""In English, the shell's pages show no Japanese UI text (only the way back to 日本語)."""

import re

import pytest
from django.urls import reverse

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]+")


def japanese_in(html: str) -> list[str]:
    """Japanese text on the page, except the name 日本語 that leads back to Japanese."""
    html = html.replace("日本語", "")
    return JAPANESE.findall(html)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name",
    ["ui:home", "ui:accessibility", "accounts:login", "accounts:signup", "accounts:staff_login"],
)
def test_public_pages_have_no_japanese_in_english(client, url_name):
    client.cookies["django_language"] = "en"
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert japanese_in(response.content.decode()) == []


@pytest.mark.django_db
def test_error_and_member_pages_have_no_japanese_in_english(
    client, resident_user, citizens_department, staff_member, staff_client
):
    client.cookies["django_language"] = "en"
    assert japanese_in(client.get("/no-such-page/").content.decode()) == []
    client.force_login(resident_user)
    assert japanese_in(client.get(reverse("ui:mypage")).content.decode()) == []
    client.logout()
    client.cookies["django_language"] = "en"
    user = staff_member(citizens_department, "clerk", "staff.dashboard")
    staff_client(client, user)
    assert japanese_in(client.get(reverse("ui:staff_dashboard")).content.decode()) == []
