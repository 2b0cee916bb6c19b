from datetime import timedelta

import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

LOCKED = "一時的にロックされています"
WRONG = "メールアドレスかパスワードが違います。"


def attempt(client, email, password, url="accounts:login"):
    return client.post(reverse(url), {"email": email, "password": password}).content.decode()


@override_settings(LOGIN_LOCKOUT_THRESHOLD=3, LOGIN_LOCKOUT_MINUTES=15)
def test_lock_after_failures_in_a_row_then_unlock_after_time(client, resident, password):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert WRONG in attempt(client, resident.email, "wrong-1")
        assert WRONG in attempt(client, resident.email, "wrong-2")
        page = attempt(client, resident.email, "wrong-3")
        until = timezone.localtime(start + timedelta(minutes=15)).strftime("%Y-%m-%d %H:%M")
        assert LOCKED in page and until in page
        assert LOCKED in attempt(client, resident.email, password), "even the right password"
        assert "_auth_user_id" not in client.session
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert LOCKED in attempt(client, resident.email, password)
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        client.post(reverse("accounts:login"), {"email": resident.email, "password": password})
        assert client.session["_auth_user_id"] == str(resident.pk)
    resident.refresh_from_db()
    assert resident.failed_logins == 0 and resident.locked_until is None


@override_settings(LOGIN_LOCKOUT_THRESHOLD=3)
def test_a_success_resets_the_count(client, resident, password):
    attempt(client, resident.email, "wrong-1")
    attempt(client, resident.email, "wrong-2")
    client.post(reverse("accounts:login"), {"email": resident.email, "password": password})
    client.post(reverse("accounts:logout"))
    attempt(client, resident.email, "wrong-3")
    attempt(client, resident.email, "wrong-4")
    client.post(reverse("accounts:login"), {"email": resident.email, "password": password})
    assert client.session["_auth_user_id"] == str(resident.pk)


@override_settings(LOGIN_LOCKOUT_THRESHOLD=3)
def test_unknown_email_gets_the_same_answers(client, db):
    pages = [attempt(client, "nobody@example.jp", f"guess-{i}") for i in range(4)]
    assert WRONG in pages[0] and WRONG in pages[1]
    assert LOCKED in pages[2] and LOCKED in pages[3]


@override_settings(LOGIN_LOCKOUT_THRESHOLD=3)
def test_staff_login_locks_too(client, reference_data, make_staff, give_device):
    user = make_staff("shimin", "clerk")
    give_device(user)
    for i in range(3):
        page = attempt(client, user.email, f"wrong-{i}", url="accounts:staff_login")
    assert LOCKED in page


@override_settings(LOGIN_LOCKOUT_THRESHOLD=3)
def test_wrong_codes_count_and_lock(client, reference_data, make_staff, give_device, password):
    user = make_staff("shimin", "clerk")
    give_device(user)
    client.post(reverse("accounts:staff_login"), {"email": user.email, "password": password})
    client.post(reverse("accounts:staff_mfa"), {"code": "000000"})
    client.post(reverse("accounts:staff_mfa"), {"code": "111111"})
    page = client.post(reverse("accounts:staff_mfa"), {"code": "222222"}).content.decode()
    assert LOCKED in page
    assert not client.session.get("staff_mfa_passed")
    page = attempt(client, user.email, password, url="accounts:staff_login")
    assert LOCKED in page, "the password alone does not get past a lock"
