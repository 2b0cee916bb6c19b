"""Passkey services: real WebAuthn answers from a software authenticator, and every refusal."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from musubi.platform.accounts import passkeys
from musubi.platform.accounts.models import Passkey
from tests.platform.accounts.softkey import SoftKey, b64url

SITE = "https://city.example.jp"


@pytest.fixture
def web(rf, settings):
    """A request to the instance at SITE, with a session to keep challenges in."""
    settings.SITE_URL = SITE
    settings.WEBAUTHN_RP_ID = ""
    settings.ALLOWED_HOSTS = ["city.example.jp", "portal.city.example.jp", "other.example.jp"]
    request = rf.get("/", HTTP_HOST="city.example.jp", secure=True)
    request.session = SessionStore()
    return request


@pytest.fixture
def clerk(reference_data, make_staff):
    return make_staff("shimin", "clerk")


def enrol(web, user, key: SoftKey, name: str = "窓口PC") -> Passkey:
    return passkeys.register(web, user, name, key.create(passkeys.registration_options(web, user)))


def test_register_then_authenticate(web, clerk):
    key = SoftKey(origin=SITE)
    options = json.loads(passkeys.registration_options(web, clerk))
    assert options["rp"]["id"] == "city.example.jp"
    assert clerk.email not in options["user"]["id"], "the user handle is opaque"
    assert options["user"]["name"] == clerk.email

    passkey = passkeys.register(web, clerk, "窓口PC", key.create(json.dumps(options)))
    assert passkey.credential_id == b64url(key.credential_id)
    assert passkey.transports == ["internal"]
    assert passkey.last_used_at is None
    assert passkeys.has_second_factor(clerk)

    login = json.loads(passkeys.authentication_options(web, clerk))
    assert [c["id"] for c in login["allowCredentials"]] == [passkey.credential_id]
    used = passkeys.authenticate(web, clerk, key.get(json.dumps(login)))
    assert used.pk == passkey.pk
    passkey.refresh_from_db()
    assert passkey.sign_count == 1
    assert passkey.last_used_at is not None


def test_a_second_registration_excludes_the_keys_already_held(web, clerk):
    first = enrol(web, clerk, SoftKey(origin=SITE))
    options = json.loads(passkeys.registration_options(web, clerk))
    assert [c["id"] for c in options["excludeCredentials"]] == [first.credential_id]


def test_the_same_credential_cannot_be_registered_twice(web, clerk):
    key = SoftKey(origin=SITE)
    enrol(web, clerk, key)
    with pytest.raises(passkeys.PasskeyError, match="既に登録されています"):
        enrol(web, clerk, key, name="もう一度")
    assert Passkey.objects.filter(user=clerk).count() == 1


def test_a_wrong_challenge_is_refused_and_uses_up_the_real_one(web, clerk):
    key = SoftKey(origin=SITE)
    options = passkeys.registration_options(web, clerk)
    forged = key.create(options, challenge=b64url(b"not the challenge we issued....."))
    with pytest.raises(passkeys.PasskeyError):
        passkeys.register(web, clerk, "窓口PC", forged)
    with pytest.raises(passkeys.PasskeyError, match="有効期限"):
        passkeys.register(web, clerk, "窓口PC", key.create(options))
    assert not Passkey.objects.exists()


def test_an_answer_without_any_challenge_issued_is_refused(web, clerk):
    key = SoftKey(origin=SITE)
    stale = key.create(
        json.dumps({"challenge": b64url(b"x" * 32), "rp": {"id": "city.example.jp"}})
    )
    with pytest.raises(passkeys.PasskeyError, match="有効期限"):
        passkeys.register(web, clerk, "窓口PC", stale)


def test_a_wrong_origin_is_refused(web, clerk):
    passkey_options = passkeys.registration_options(web, clerk)
    phishing = SoftKey(origin="https://city-example.jp.evil.example")
    with pytest.raises(passkeys.PasskeyError):
        passkeys.register(web, clerk, "窓口PC", phishing.create(passkey_options))

    key = SoftKey(origin=SITE)
    enrol(web, clerk, key)
    answer = key.get(passkeys.authentication_options(web, clerk), origin="https://evil.example")
    with pytest.raises(passkeys.PasskeyError, match="確認できませんでした"):
        passkeys.authenticate(web, clerk, answer)


def test_a_signature_for_another_relying_party_is_refused(web, clerk):
    key = SoftKey(origin=SITE)
    enrol(web, clerk, key)
    answer = key.get(passkeys.authentication_options(web, clerk), rp_id="evil.example")
    with pytest.raises(passkeys.PasskeyError):
        passkeys.authenticate(web, clerk, answer)


def test_a_replayed_answer_is_refused(web, clerk):
    key = SoftKey(origin=SITE)
    enrol(web, clerk, key)
    answer = key.get(passkeys.authentication_options(web, clerk))
    passkeys.authenticate(web, clerk, answer)
    with pytest.raises(passkeys.PasskeyError, match="有効期限"):
        passkeys.authenticate(web, clerk, answer)
    passkeys.authentication_options(web, clerk)
    with pytest.raises(passkeys.PasskeyError, match="確認できませんでした"):
        passkeys.authenticate(web, clerk, answer)


def test_a_challenge_expires(web, clerk):
    key = SoftKey(origin=SITE)
    enrol(web, clerk, key)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        options = passkeys.authentication_options(web, clerk)
    later = start + timedelta(seconds=passkeys.CHALLENGE_SECONDS + 1)
    with time_machine.travel(later), pytest.raises(passkeys.PasskeyError, match="有効期限"):
        passkeys.authenticate(web, clerk, key.get(options))


def test_a_challenge_serves_only_its_own_purpose(web, clerk):
    key = SoftKey(origin=SITE)
    enrol(web, clerk, key)
    registration = passkeys.registration_options(web, clerk)
    answer = key.get(json.dumps({**json.loads(registration), "rpId": "city.example.jp"}))
    with pytest.raises(passkeys.PasskeyError, match="有効期限"):
        passkeys.authenticate(web, clerk, answer)


def test_a_counter_that_goes_backwards_is_refused(web, clerk):
    key = SoftKey(origin=SITE)
    passkey = enrol(web, clerk, key)
    passkeys.authenticate(web, clerk, key.get(passkeys.authentication_options(web, clerk), count=5))
    for stale in (5, 3):
        answer = key.get(passkeys.authentication_options(web, clerk), count=stale)
        with pytest.raises(passkeys.PasskeyError, match="複製"):
            passkeys.authenticate(web, clerk, answer)
    passkey.refresh_from_db()
    assert passkey.sign_count == 5
    passkeys.authenticate(web, clerk, key.get(passkeys.authentication_options(web, clerk), count=6))


def test_authenticators_without_a_counter_keep_working(web, clerk):
    key = SoftKey(origin=SITE)
    enrol(web, clerk, key)
    for _ in range(2):
        answer = key.get(passkeys.authentication_options(web, clerk), count=0)
        passkeys.authenticate(web, clerk, answer)


def test_another_staff_members_passkey_is_not_accepted(web, clerk, make_staff):
    other = make_staff("zeimu", "clerk")
    key = SoftKey(origin=SITE)
    enrol(web, other, key)
    enrol(web, clerk, SoftKey(origin=SITE))
    options = json.loads(passkeys.authentication_options(web, clerk))
    options["allowCredentials"] = []  # a key that ignores the allow list
    with pytest.raises(passkeys.PasskeyError, match="登録されていません"):
        passkeys.authenticate(web, clerk, key.get(json.dumps(options)))


@pytest.mark.parametrize(
    "answer", ["", "not json", "[]", '{"id": "x"}', '{"id": "x", "rawId": "!!", "response": {}}']
)
def test_malformed_answers_are_refused_with_a_message(web, clerk, answer):
    enrol(web, clerk, SoftKey(origin=SITE))
    passkeys.authentication_options(web, clerk)
    with pytest.raises(passkeys.PasskeyError):
        passkeys.authenticate(web, clerk, answer)
    passkeys.registration_options(web, clerk)
    with pytest.raises(passkeys.PasskeyError):
        passkeys.register(web, clerk, "別のPC", answer)


def test_removing_the_last_second_factor_is_refused(web, clerk):
    first = enrol(web, clerk, SoftKey(origin=SITE), "窓口PC")
    second = enrol(web, clerk, SoftKey(origin=SITE), "セキュリティキー")
    assert passkeys.remove(clerk, first.pk) == "窓口PC"
    assert passkeys.is_last_factor(clerk)
    with pytest.raises(passkeys.LastFactorError):
        passkeys.remove(clerk, second.pk)
    assert Passkey.objects.filter(pk=second.pk).exists()


def test_with_an_authenticator_app_the_last_passkey_may_go(web, clerk, give_device):
    give_device(clerk)
    only = enrol(web, clerk, SoftKey(origin=SITE))
    assert not passkeys.is_last_factor(clerk)
    passkeys.remove(clerk, only.pk)
    assert not Passkey.objects.exists()


def test_origins_follow_site_url_and_allowed_names_within_the_rp_id(web, rf, settings):
    assert passkeys.relying_party(web).origins == (SITE,)
    portal = rf.get("/", HTTP_HOST="portal.city.example.jp", secure=True)
    assert passkeys.relying_party(portal).origins == (SITE, "https://portal.city.example.jp")
    assert passkeys.usable_here(portal)
    other = rf.get("/", HTTP_HOST="other.example.jp", secure=True)
    assert passkeys.relying_party(other).origins == (SITE,)
    assert not passkeys.usable_here(other)


def test_rp_id_setting_and_ip_addresses(web, settings):
    settings.WEBAUTHN_RP_ID = "example.jp"
    assert passkeys.relying_party(web).id == "example.jp"
    assert passkeys.usable_here(web)
    settings.WEBAUTHN_RP_ID = ""
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert passkeys.relying_party(web).id == "127.0.0.1"
    assert not passkeys.usable_here(web), "browsers refuse passkeys for IP addresses"
