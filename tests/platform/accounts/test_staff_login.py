import re
from datetime import timedelta

import pyotp
import time_machine
from django.urls import reverse
from django.utils import timezone

from musubi.platform.accounts import mfa
from musubi.platform.accounts.models import RecoveryCode, TotpDevice

DASHBOARD = "/staff/"


def password_step(client, user, password):
    return client.post(reverse("accounts:staff_login"), {"email": user.email, "password": password})


def test_first_login_enrols_an_authenticator(client, reference_data, make_staff, password):
    user = make_staff("shimin", "clerk")
    response = password_step(client, user, password)
    assert response.url == reverse("accounts:staff_enrol")
    assert "_auth_user_id" not in client.session, "not logged in before the second factor"

    page = client.get(reverse("accounts:staff_enrol")).content.decode()
    device = TotpDevice.objects.get(user=user)
    assert device.confirmed_at is None
    assert "<svg" in page
    assert device.secret in page
    assert 'autocomplete="one-time-code"' in page

    page = client.post(reverse("accounts:staff_enrol"), {"code": "000000"}).content.decode()
    assert "確認コードが違います" in page
    assert not client.session.get("staff_mfa_passed")

    code = pyotp.TOTP(device.secret).now()
    page = client.post(reverse("accounts:staff_enrol"), {"code": code}).content.decode()
    codes = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", page)
    assert len(codes) == mfa.RECOVERY_CODE_COUNT
    assert client.session["staff_mfa_passed"] is True
    assert client.session["_auth_user_id"] == str(user.pk)
    stored = set(RecoveryCode.objects.filter(user=user).values_list("digest", flat=True))
    assert codes[0] not in str(stored), "only digests are stored"
    assert client.get(DASHBOARD).status_code == 200


def test_login_with_totp(client, reference_data, make_staff, give_device, password):
    user = make_staff("zeimu", "clerk")
    totp = give_device(user)
    response = password_step(client, user, password)
    assert response.url == reverse("accounts:staff_mfa")
    assert client.get(DASHBOARD).status_code == 302

    page = client.post(reverse("accounts:staff_mfa"), {"code": "123456"}).content.decode()
    assert "確認コードが違います。" in page
    response = client.post(reverse("accounts:staff_mfa"), {"code": totp.now()})
    assert response.url == DASHBOARD
    assert client.session["staff_mfa_passed"] is True
    assert client.get(DASHBOARD).status_code == 200


def test_a_code_cannot_be_used_twice(client, reference_data, make_staff, give_device, password):
    user = make_staff("zeimu", "clerk")
    totp = give_device(user)
    with time_machine.travel(timezone.now(), tick=False):
        code = totp.now()
        password_step(client, user, password)
        client.post(reverse("accounts:staff_mfa"), {"code": code})
        assert client.session["staff_mfa_passed"]
        client.post(reverse("accounts:logout"))
        password_step(client, user, password)
        page = client.post(reverse("accounts:staff_mfa"), {"code": code}).content.decode()
    assert "確認コードが違います。" in page
    assert not client.session.get("staff_mfa_passed")


def test_recovery_code_works_once(client, reference_data, make_staff, give_device, password):
    user = make_staff("zeimu", "clerk")
    give_device(user)
    codes = mfa.issue_recovery_codes(user)
    password_step(client, user, password)
    client.post(reverse("accounts:staff_mfa"), {"code": codes[0].lower()})
    assert client.session["staff_mfa_passed"]
    client.post(reverse("accounts:logout"))
    password_step(client, user, password)
    client.post(reverse("accounts:staff_mfa"), {"code": codes[0]})
    assert not client.session.get("staff_mfa_passed")


def test_codes_from_the_previous_step_are_accepted(db, make_staff, give_device, reference_data):
    user = make_staff("zeimu", "clerk")
    totp = give_device(user)
    device = TotpDevice.objects.get(user=user)
    now = timezone.now()
    earlier = totp.at(now - timedelta(seconds=30))
    with time_machine.travel(now, tick=False):
        assert mfa.verify_code(device, earlier)
        assert not mfa.verify_code(device, totp.at(now - timedelta(seconds=120)))


def test_non_staff_cannot_use_the_staff_login(client, resident, password):
    page = password_step(client, resident, password).content.decode()
    assert "メールアドレスかパスワードが違います。" in page
    assert client.get(reverse("accounts:staff_mfa")).url == reverse("accounts:staff_login")


def test_second_step_needs_the_first(client, reference_data):
    assert client.get(reverse("accounts:staff_mfa")).url == reverse("accounts:staff_login")
    assert client.get(reverse("accounts:staff_enrol")).url == reverse("accounts:staff_login")


def test_guarded_page_sends_to_staff_login_and_back(
    client, reference_data, make_staff, give_device, password
):
    user = make_staff("shimin", "clerk")
    totp = give_device(user)
    response = client.get(DASHBOARD)
    assert response.url.startswith(reverse("accounts:staff_login"))
    assert "next=/staff/" in response.url
    client.post(response.url, {"email": user.email, "password": password})
    response = client.post(reverse("accounts:staff_mfa"), {"code": totp.now()})
    assert response.url == DASHBOARD
