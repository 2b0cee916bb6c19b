"""Adding contacts on the settings page: email links (real SMTP), expiry, tampering, rate
limits, duplicates, bad addresses, mobile numbers and their SMS codes (a local Twilio-protocol
gateway); every change audited."""

from __future__ import annotations

import re
import socket
import threading
from email import message_from_bytes

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.cache import cache
from django.urls import reverse

from musubi.devtools.packages import free_port
from musubi.platform.accounts.models import User
from musubi.platform.audit.models import AuditRecord
from musubi.platform.notify import contact_verification
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import ContactPoint

ADD_EMAIL = reverse("notify:preferences_email")
ADD_MOBILE = reverse("notify:preferences_mobile")
LINK = re.compile(r"https?://\S+/notices/verify-email/(\S+)/")


class Mailbox:
    def __init__(self) -> None:
        self.accepted: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.accepted.append((envelope.rcpt_tos[0], message_from_bytes(envelope.content)))
        return "250 OK"

    def link(self) -> str:
        body = self.accepted[-1][1].get_payload(decode=True).decode()
        return LINK.search(body).group(0).split("/notices", 1)[1]


@pytest.fixture
def mailbox(settings):
    """A real SMTP server the site mails through."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield box
    controller.stop()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def resident(register_resident):
    return register_resident()


@pytest.fixture
def resident_client(client, resident):
    user = User.objects.create_user(
        username="hanako@example.jp", email="hanako@example.jp", password="long-enough-pass-1"
    )
    residents.link_account(user, resident, "demo")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_an_added_email_gets_a_link_that_verifies_it(resident_client, resident, mailbox):
    response = resident_client.post(ADD_EMAIL, {"email": " Hanako@Example.jp "})
    assert response.status_code == 302
    contact = ContactPoint.objects.get(kind="email")
    assert (contact.value, contact.verified) == ("Hanako@Example.jp", False)
    assert [rcpt for rcpt, _m in mailbox.accepted] == ["Hanako@Example.jp"]
    link = "/notices" + mailbox.link()
    page = resident_client.get(link)
    assert page.status_code == 200 and "確認する" in page.content.decode()
    contact.refresh_from_db()
    assert contact.verified is False  # opening the link (a mail scanner) is not enough
    done = resident_client.post(link)
    assert done.status_code == 200 and "を確認しました" in done.content.decode()
    contact.refresh_from_db()
    assert contact.verified is True
    actions = list(AuditRecord.objects.filter(subject_type="contactpoint").values_list("action"))
    assert actions == [("create",), ("update",)]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["hanako", "hanako@", "@example.jp", "a b@example.jp", ""])
def test_a_bad_address_is_refused_kept_and_nothing_is_sent(resident_client, mailbox, typed):
    response = resident_client.post(ADD_EMAIL, {"email": typed})
    assert response.status_code == 400
    html = response.content.decode()
    assert "メールアドレスの形式が正しくありません" in html
    assert f'name="email" value="{typed}"' in html
    assert not ContactPoint.objects.exists() and mailbox.accepted == []


@pytest.mark.django_db
def test_the_same_address_twice_is_refused(resident_client, resident, mailbox):
    ContactPoint.objects.create(resident=resident, kind="email", value="hanako@example.jp")
    response = resident_client.post(ADD_EMAIL, {"email": "HANAKO@example.jp"})
    assert response.status_code == 400
    assert "この連絡先はすでに登録されています" in response.content.decode()
    assert ContactPoint.objects.count() == 1 and mailbox.accepted == []


@pytest.mark.django_db
def test_an_unreachable_mail_server_keeps_nothing_and_says_so(resident_client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    response = resident_client.post(ADD_EMAIL, {"email": "hanako@example.jp"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "確認メールを送れませんでした" in html and 'value="hanako@example.jp"' in html
    assert not ContactPoint.objects.exists()
    assert not AuditRecord.objects.filter(subject_type="contactpoint").exists()


@pytest.mark.django_db
def test_a_mail_server_that_never_answers_is_given_up_on(resident_client, settings, monkeypatch):
    monkeypatch.setitem(contact_verification.facts(), "mail_timeout_seconds", 1)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent.getsockname()[1]
        response = resident_client.post(ADD_EMAIL, {"email": "hanako@example.jp"})
    assert response.status_code == 400
    assert "確認メールを送れませんでした" in response.content.decode()
    assert not ContactPoint.objects.exists()


@pytest.mark.django_db
def test_an_expired_link_gets_a_clear_page(resident_client, mailbox):
    with time_machine.travel("2026-06-01 09:00 +0900", tick=False):
        resident_client.post(ADD_EMAIL, {"email": "hanako@example.jp"})
    link = "/notices" + mailbox.link()
    hours = contact_verification.link_hours()
    with time_machine.travel(f"2026-06-0{1 + hours // 24} 09:01 +0900", tick=False):
        for response in (resident_client.get(link), resident_client.post(link)):
            assert response.status_code == 400
            assert "有効期限" in response.content.decode()
    assert ContactPoint.objects.get().verified is False


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["nonsense", "eyJyIjoxfQ:1tX:forged"])
def test_a_tampered_link_gets_a_clear_page(client, db, token):
    url = reverse("notify:verify_email", args=[token])
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 400
        assert "このリンクは正しくありません" in response.content.decode()


@pytest.mark.django_db
def test_a_link_to_a_removed_address_verifies_nothing(resident_client, mailbox):
    resident_client.post(ADD_EMAIL, {"email": "hanako@example.jp"})
    contact = ContactPoint.objects.get()
    resident_client.post(reverse("notify:preferences_remove", args=[contact.pk]))
    response = resident_client.post("/notices" + mailbox.link())
    assert response.status_code == 400
    assert "登録から外されています" in response.content.decode()
    assert not ContactPoint.objects.exists()


@pytest.mark.django_db
def test_resending_is_rate_limited(resident_client, mailbox):
    interval = contact_verification.facts()["resend_min_interval_seconds"]
    per_day = contact_verification.facts()["sends_per_day"]
    with time_machine.travel("2026-06-01 09:00 +0900", tick=False) as clock:
        resident_client.post(ADD_EMAIL, {"email": "hanako@example.jp"})
        resend = reverse("notify:preferences_resend", args=[ContactPoint.objects.get().pk])
        too_soon = resident_client.post(resend)
        assert too_soon.status_code == 400
        assert "秒に1回まで送れます" in too_soon.content.decode()
        assert len(mailbox.accepted) == 1
        for _n in range(per_day - 1):
            clock.shift(interval + 1)
            assert resident_client.post(resend).status_code == 302
        clock.shift(interval + 1)
        capped = resident_client.post(resend)
        assert capped.status_code == 400 and "1日に" in capped.content.decode()
    assert len(mailbox.accepted) == per_day


@pytest.mark.django_db
def test_a_verified_address_is_not_resent(resident_client, resident, mailbox):
    contact = ContactPoint.objects.create(
        resident=resident, kind="email", value="hanako@example.jp", verified=True
    )
    response = resident_client.post(reverse("notify:preferences_resend", args=[contact.pk]))
    assert response.status_code == 400 and mailbox.accepted == []


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["090-1234-5678", "０８０１２３４５６７８", "+81 70 1234 5678"])
def test_a_mobile_number_is_stored_unverified_in_one_form(resident_client, typed):
    assert resident_client.post(ADD_MOBILE, {"mobile": typed}).status_code == 302
    contact = ContactPoint.objects.get(kind="mobile")
    assert contact.value[:3] in ("090", "080", "070") and len(contact.value) == 11
    assert contact.verified is False
    assert AuditRecord.objects.filter(subject_type="contactpoint", action="create").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["0265-83-2111", "090-1234-567", "050-1234-5678", "abc", ""])
def test_a_number_that_is_not_a_japanese_mobile_is_refused_and_kept(resident_client, typed):
    response = resident_client.post(ADD_MOBILE, {"mobile": typed})
    assert response.status_code == 400
    html = response.content.decode()
    assert "070・080・090で始まる11桁" in html and f'name="mobile" value="{typed}"' in html
    assert not ContactPoint.objects.exists()


@pytest.mark.django_db
def test_the_same_mobile_number_twice_is_refused(resident_client):
    resident_client.post(ADD_MOBILE, {"mobile": "090-1234-5678"})
    response = resident_client.post(ADD_MOBILE, {"mobile": "09012345678"})
    assert response.status_code == 400
    assert "すでに登録されています" in response.content.decode()
    assert ContactPoint.objects.count() == 1


@pytest.fixture
def mobile(resident):
    return ContactPoint.objects.create(resident=resident, kind="mobile", value="09012345678")


def _check(client, contact, code: str):
    return client.post(reverse("notify:preferences_check_code", args=[contact.pk]), {"code": code})


CODE = re.compile(r"\d{6}")


@pytest.mark.django_db
def test_a_code_by_sms_verifies_the_number(resident_client, mobile, sms_peer):
    response = resident_client.post(reverse("notify:preferences_send_code", args=[mobile.pk]))
    assert response.status_code == 302
    [sent] = sms_peer.accepted
    assert sent["to"] == "+819012345678"
    code = CODE.search(sent["body"]).group(0)
    wide = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert _check(resident_client, mobile, wide).status_code == 302
    mobile.refresh_from_db()
    assert mobile.verified is True
    whats = list(AuditRecord.objects.filter(subject_type="contactpoint").values_list("what"))
    assert [w for (w,) in whats] == ["確認コードのSMS送信", "携帯電話番号の確認（SMSコード）"]


@pytest.mark.django_db
def test_wrong_codes_are_counted_and_then_the_code_is_void(resident_client, mobile, sms_peer):
    resident_client.post(reverse("notify:preferences_send_code", args=[mobile.pk]))
    code = CODE.search(sms_peer.accepted[-1]["body"]).group(0)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    tries = contact_verification.facts()["sms_code_max_tries"]
    for _n in range(tries - 1):
        response = _check(resident_client, mobile, wrong)
        assert response.status_code == 400
        html = response.content.decode()
        assert "確認コードが違います" in html and f'name="code" value="{wrong}"' in html
    assert "無効にしました" in _check(resident_client, mobile, wrong).content.decode()
    assert "有効期限が切れたか" in _check(resident_client, mobile, code).content.decode()
    mobile.refresh_from_db()
    assert mobile.verified is False


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["", "12345", "abcdef", "1234567"])
def test_a_code_that_is_not_six_digits_is_refused(resident_client, mobile, typed):
    response = _check(resident_client, mobile, typed)
    assert response.status_code == 400
    assert "6桁の数字を入力してください" in response.content.decode()


@pytest.mark.django_db
def test_a_code_never_sent_or_expired_is_refused(resident_client, mobile, sms_peer):
    assert "まだ送っていません" in _check(resident_client, mobile, "123456").content.decode()
    max_age = contact_verification.facts()["sms_code_max_age_seconds"]
    with time_machine.travel("2026-06-01 09:00 +0900", tick=False) as clock:
        resident_client.post(reverse("notify:preferences_send_code", args=[mobile.pk]))
        code = CODE.search(sms_peer.accepted[-1]["body"]).group(0)
        clock.shift(max_age + 1)
        response = _check(resident_client, mobile, code)
    assert response.status_code == 400 and "有効期限が切れたか" in response.content.decode()
    mobile.refresh_from_db()
    assert mobile.verified is False


@pytest.mark.django_db
def test_a_gateway_that_cannot_send_is_said_plainly(resident_client, mobile, settings):
    settings.SMS_ACCOUNT_SID = settings.SMS_FROM = ""
    response = resident_client.post(reverse("notify:preferences_send_code", args=[mobile.pk]))
    assert response.status_code == 400
    assert "SMSを送れませんでした" in response.content.decode()
    assert "有効期限が切れたか" in _check(resident_client, mobile, "123456").content.decode()


@pytest.mark.django_db
def test_a_verified_number_or_an_email_gets_no_code(resident_client, resident, sms_peer):
    done = ContactPoint.objects.create(
        resident=resident, kind="mobile", value="08012345678", verified=True
    )
    email = ContactPoint.objects.create(resident=resident, kind="email", value="a@example.jp")
    for contact in (done, email):
        response = resident_client.post(reverse("notify:preferences_send_code", args=[contact.pk]))
        assert response.status_code == 400
        assert "確認済みか、確認の必要がありません" in response.content.decode()
    assert sms_peer.accepted == []
