from datetime import timedelta

import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

DASHBOARD = "/staff/"


@override_settings(STAFF_IDLE_TIMEOUT_MINUTES=30)
def test_idle_staff_session_ends(client, reference_data, make_staff, give_device, password):
    user = make_staff("shimin", "clerk")
    totp = give_device(user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(reverse("accounts:staff_login"), {"email": user.email, "password": password})
        client.post(reverse("accounts:staff_mfa"), {"code": totp.now()})
        assert client.get(DASHBOARD).status_code == 200
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get(DASHBOARD).status_code == 200, "activity within the limit"
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert client.get(DASHBOARD).status_code == 200, "the clock restarts on each request"
    with time_machine.travel(start + timedelta(minutes=89), tick=False):
        response = client.get(DASHBOARD)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:staff_login"))
        assert "_auth_user_id" not in client.session
        page = client.get(response.url).content.decode()
    assert "一定時間操作がなかったため、ログアウトしました。" in page
    assert "一定時間操作がなかった" not in client.get(response.url).content.decode()


def test_resident_sessions_are_not_cut(client, resident):
    client.force_login(resident)
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        assert client.get(reverse("ui:mypage")).status_code == 200
