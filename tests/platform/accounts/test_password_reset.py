import re

from django.core import mail
from django.urls import reverse

from musubi.platform.accounts.models import User

NEW_PASSWORD = "a-brand-new-secret-42"


def test_reset_by_emailed_link(client, resident):
    response = client.post(reverse("accounts:reset"), {"email": "taro@example.jp"})
    assert response.url == reverse("accounts:reset_sent")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)

    response = client.get(path, follow=True)
    page = response.content.decode()
    assert 'autocomplete="new-password"' in page
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.url == reverse("accounts:reset_complete")

    response = client.post(
        reverse("accounts:login"), {"email": "taro@example.jp", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(resident.pk)


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(client, db):
    response = client.post(reverse("accounts:reset"), {"email": "nobody@example.jp"})
    assert response.url == reverse("accounts:reset_sent")
    assert not mail.outbox


def test_used_link_is_refused(client, resident):
    client.post(reverse("accounts:reset"), {"email": "taro@example.jp"})
    path = re.sub(r"^https?://[^/]+", "", re.search(r"https?://\S+", mail.outbox[0].body)[0])
    form_url = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client.logout()
    response = client.get(path, follow=True)
    assert "再設定のリンクが無効か、期限切れです" in response.content.decode()


def test_reset_proves_an_unverified_address(client, db):
    user = User.objects.create_user(username="u", email="u@example.jp", password="x" * 12)
    client.post(reverse("accounts:reset"), {"email": "u@example.jp"})
    path = re.sub(r"^https?://[^/]+", "", re.search(r"https?://\S+", mail.outbox[0].body)[0])
    form_url = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    user.refresh_from_db()
    assert user.email_verified
