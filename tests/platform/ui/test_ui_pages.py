"""The resident portal's pages, the error pages and the two switches (language, text size)."""

import pytest
from django.template import loader
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "text"), [("ja", "ここでできること"), ("en", "What you can do here")]
)
def test_home_in_both_languages(client, language, text):
    client.cookies["django_language"] = language
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<html lang="{language}"' in body
    assert text in body
    assert 'href="#main"' in body
    assert reverse("accounts:login") in body and reverse("accounts:signup") in body


@pytest.mark.django_db
def test_site_name_comes_from_the_city_file(client):
    assert "むすび Musubi — 駒ヶ根市" in client.get("/").content.decode()
    client.cookies["django_language"] = "en"
    assert "Musubi — Komagane" in client.get("/").content.decode()


@pytest.mark.django_db
def test_accessibility_statement(client):
    response = client.get("/accessibility/")
    assert response.status_code == 200
    assert "WCAG 2.2" in response.content.decode()


@pytest.mark.django_db
def test_mypage_needs_login(client):
    response = client.get("/mypage/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_mypage_without_link_explains_how_linking_works(client, resident_user):
    client.force_login(resident_user)
    body = client.get("/mypage/").content.decode()
    assert "hanako@example.jp" in body
    assert "まだ住民記録と連携されていません" in body
    assert "連携のしくみ" in body


@pytest.mark.django_db
def test_mypage_shows_the_linked_record_with_wareki_birthdate(
    client, resident_user, linked_resident
):
    client.force_login(resident_user)
    body = client.get("/mypage/").content.decode()
    assert "駒ヶ根 花子" in body
    assert "昭和64年1月7日" in body
    assert "中沢1234-5" in body
    assert linked_resident.household.number in body
    assert 'href="/notices/preferences/"' in body  # a linked resident can choose channels
    client.cookies["django_language"] = "en"
    assert "7 Jan 1989 (Showa 64)" in client.get("/mypage/").content.decode()


@pytest.mark.django_db
def test_preferred_language_is_saved_and_applied(client, resident_user):
    client.force_login(resident_user)
    response = client.post("/mypage/language/", {"language": "en"})
    assert response.status_code == 302
    resident_user.refresh_from_db()
    assert resident_user.preferred_language == "en"
    assert response.cookies["django_language"].value == "en"


@pytest.mark.django_db
def test_unknown_preferred_language_is_refused(client, resident_user):
    client.force_login(resident_user)
    response = client.post("/mypage/language/", {"language": "xx"}, follow=True)
    resident_user.refresh_from_db()
    assert resident_user.preferred_language == "ja"
    assert "選択された言語には対応していません" in response.content.decode()


@pytest.mark.django_db
def test_text_size_sets_cookie_and_returns(client):
    response = client.post("/text-size/", {"size": "xl", "next": "/accessibility/"})
    assert response.status_code == 302
    assert response["Location"] == "/accessibility/"
    assert response.cookies["text_size"].value == "xl"
    assert 'class="text-size-xl"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_text_size_refuses_unknown_size_and_foreign_next(client):
    response = client.post("/text-size/", {"size": "huge", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert "text_size" not in response.cookies
    assert (
        "文字サイズは「標準」「大」「特大」から選んでください" in client.get("/").content.decode()
    )


@pytest.mark.django_db
def test_forged_text_size_cookie_falls_back_to_standard(client):
    client.cookies["text_size"] = '"><script>'
    assert 'class="text-size-m"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_text_size_is_post_only(client):
    assert client.get("/text-size/").status_code == 405


@pytest.mark.django_db
def test_language_switch_is_a_plain_form_post(client):
    body = client.get("/").content.decode()
    assert f'action="{reverse("set_language")}" method="post"' in body
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accessibility/"})
    assert response.status_code == 302
    page = client.get("/accessibility/").content.decode()
    assert '<html lang="en"' in page
    assert "Accessibility policy" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "text"), [("ja", "ページが見つかりません"), ("en", "Page not found")]
)
def test_404_page_in_both_languages(client, language, text):
    client.cookies["django_language"] = language
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert text in response.content.decode()


@pytest.mark.parametrize(("language", "text"), [("ja", "システムエラー"), ("en", "System error")])
def test_500_page_renders_without_database_or_request(language, text):
    from django.utils import translation

    with translation.override(language):
        html = loader.get_template("500.html").render()
    assert text in html
    assert f'lang="{language}"' in html
