import re
from datetime import timedelta

import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from musubi import settings as configured
from musubi.platform.accounts.models import User

PASSWORD = "correct-horse-battery-1"
SIGNUP = {
    "email": "hanako@example.jp",
    "display_name": "はなこ",
    "password": PASSWORD,
    "password_again": PASSWORD,
}


def link_in(message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_signup_verify_then_login(client, db, settings):
    settings.PASSWORD_HASHERS = configured.PASSWORD_HASHERS  # not the suite's quick hashing
    response = client.post(reverse("accounts:signup"), SIGNUP)
    assert response.status_code == 200
    assert "確認メールを送りました" in response.content.decode()
    user = User.objects.get(email="hanako@example.jp")
    assert not user.email_verified
    assert user.password.startswith("argon2")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["hanako@example.jp"]
    response = client.get(path_of(link_in(mail.outbox[0])))
    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    user.refresh_from_db()
    assert user.email_verified

    response = client.post(
        reverse("accounts:login"), {"email": "HANAKO@example.jp", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_errors_keep_what_was_typed_and_point_at_the_field(client, db):
    data = SIGNUP | {"password_again": "something-else-entirely"}
    response = client.post(reverse("accounts:signup"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="hanako@example.jp"' in page
    assert 'value="はなこ"' in page
    assert PASSWORD not in page, "passwords are never echoed back"
    assert "パスワードが一致しません。" in page
    assert 'aria-describedby="id_password_again_error"' in page
    assert 'id="id_password_again_error"' in page
    assert 'autocomplete="new-password"' in page
    assert not User.objects.exists()
    assert not mail.outbox


def test_weak_password_is_refused_by_the_validators(client, db):
    data = SIGNUP | {"password": "12345678", "password_again": "12345678"}
    response = client.post(reverse("accounts:signup"), data)
    assert 'id="id_password_error"' in response.content.decode()
    assert not User.objects.exists()


def test_email_already_registered(client, resident):
    data = SIGNUP | {"email": "Taro@example.jp"}
    response = client.post(reverse("accounts:signup"), data)
    assert "このメールアドレスは既に登録されています。" in response.content.decode()
    assert User.objects.count() == 1


def test_unverified_account_cannot_log_in_and_can_ask_again(client, db):
    client.post(reverse("accounts:signup"), SIGNUP)
    response = client.post(
        reverse("accounts:login"), {"email": "hanako@example.jp", "password": PASSWORD}
    )
    page = response.content.decode()
    assert "_auth_user_id" not in client.session
    assert "メールアドレスの確認が済んでいません。" in page
    assert reverse("accounts:resend") in page

    response = client.post(reverse("accounts:resend"), {"email": "hanako@example.jp"})
    assert response.status_code == 200
    assert len(mail.outbox) == 2
    client.get(path_of(link_in(mail.outbox[1])))
    assert User.objects.get(email="hanako@example.jp").email_verified


def test_resend_for_unknown_address_looks_the_same(client, db):
    response = client.post(reverse("accounts:resend"), {"email": "nobody@example.jp"})
    assert response.status_code == 200
    assert "確認メールを送りました" in response.content.decode()
    assert not mail.outbox


def test_expired_link(client, db):
    client.post(reverse("accounts:signup"), SIGNUP)
    link = path_of(link_in(mail.outbox[0]))
    with time_machine.travel(timezone.now() + timedelta(hours=73)):
        response = client.get(link)
    assert response.status_code == 400
    assert "有効期限が切れています" in response.content.decode()
    assert not User.objects.get(email="hanako@example.jp").email_verified


def test_tampered_link(client, db):
    client.post(reverse("accounts:signup"), SIGNUP)
    link = path_of(link_in(mail.outbox[0]))
    response = client.get(link[:-3] + "xyz/")
    assert response.status_code == 400
    assert "確認リンクが正しくありません" in response.content.decode()


def test_wrong_password(client, resident):
    response = client.post(
        reverse("accounts:login"), {"email": resident.email, "password": "not-the-password"}
    )
    assert "メールアドレスかパスワードが違います。" in response.content.decode()
    assert 'value="taro@example.jp"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_page_fields_are_labelled_with_autocomplete(client, db):
    page = client.get(reverse("accounts:login")).content.decode()
    assert '<label for="id_email">' in page
    assert 'autocomplete="email"' in page
    assert 'autocomplete="current-password"' in page


def test_logout_is_post_only(client, resident):
    client.force_login(resident)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_next_stays_on_this_site(client, resident):
    data = {"email": resident.email, "password": PASSWORD}
    response = client.post(reverse("accounts:login") + "?next=https://evil.example/", data)
    assert response.url == reverse("ui:home")
    client.logout()
    response = client.post(reverse("accounts:login") + "?next=/mypage/", data)
    assert response.url == "/mypage/"
