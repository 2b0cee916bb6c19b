"""The resident's Web Push page: subscribing stores a verified ``webpush`` contact."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation

from musubi.devtools.peers.webpush import WebPushPeer
from musubi.platform.accounts.models import User
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import ContactPoint

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]+")


@pytest.fixture
def subscription(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.VAPID_PRIVATE_KEY = settings.VAPID_PUBLIC_KEY = ""
    with WebPushPeer() as peer:
        yield peer.subscription()


@pytest.fixture
def resident_client(client, register_resident):
    user = User.objects.create_user(
        username="hanako@example.jp", email="hanako@example.jp", password="long-enough-pass-1"
    )
    residents.link_account(user, register_resident(), "demo")
    client.force_login(user)
    return client


@pytest.fixture
def english(resident_client):
    """The client asks for English; the thread's language is Japanese again afterwards."""
    resident_client.cookies["django_language"] = "en"
    yield resident_client
    translation.activate("ja")


@pytest.mark.django_db
def test_the_page_gives_the_public_key_and_works_as_a_page_without_javascript(
    resident_client, subscription
):
    from musubi.platform.notify.channels import webpush

    html = resident_client.get(reverse("notify:push")).content.decode()
    assert f'data-public-key="{webpush.public_key()}"' in html
    assert "notify/push.js" in html and "notify/push-sw.js" in html
    assert "<noscript>" in html


@pytest.mark.django_db
def test_subscribing_stores_a_verified_contact_and_unsubscribing_removes_it(
    resident_client, subscription
):
    raw = json.dumps({**subscription, "expirationTime": None})
    response = resident_client.post(reverse("notify:push_subscribe"), {"subscription": raw})
    assert response.status_code == 200
    contact = ContactPoint.objects.get(kind="webpush")
    assert contact.verified is True
    assert json.loads(contact.value) == subscription
    resident_client.post(reverse("notify:push_subscribe"), {"subscription": raw})
    assert ContactPoint.objects.filter(kind="webpush").count() == 1
    response = resident_client.post(reverse("notify:push_unsubscribe"), {"subscription": raw})
    assert response.status_code == 200
    assert not ContactPoint.objects.filter(kind="webpush").exists()


@pytest.mark.django_db
def test_a_broken_subscription_is_refused_in_japanese(resident_client, subscription):
    response = resident_client.post(reverse("notify:push_subscribe"), {"subscription": "{oops"})
    assert response.status_code == 400
    assert "登録情報が正しくありません" in response.json()["error"]
    assert not ContactPoint.objects.exists()


@pytest.mark.django_db
def test_a_broken_subscription_is_refused_in_english(english, subscription):
    response = english.post(reverse("notify:push_subscribe"), {"subscription": "{oops"})
    assert response.status_code == 400
    assert JAPANESE.findall(response.json()["error"]) == []
    assert not ContactPoint.objects.exists()


@pytest.mark.django_db
def test_an_account_without_a_resident_record_cannot_subscribe(client, subscription):
    user = User.objects.create_user(
        username="guest@example.jp", email="guest@example.jp", password="long-enough-pass-1"
    )
    client.force_login(user)
    response = client.post(
        reverse("notify:push_subscribe"), {"subscription": json.dumps(subscription)}
    )
    assert response.status_code == 403
    assert client.get(reverse("notify:push")).status_code == 200
    assert not ContactPoint.objects.exists()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert client.get(reverse("notify:push")).status_code == 302
    assert client.post(reverse("notify:push_subscribe"), {"subscription": "{}"}).status_code == 302


@pytest.mark.django_db
def test_pages_show_no_japanese_in_english(english, subscription):
    urls = (reverse("notify:push"), reverse("notify:line_link"), reverse("notify:line_link"))
    for url, query in zip(urls, ({}, {}, {"linkToken": "abc"}), strict=True):
        html = english.get(url, query).content.decode()
        # the resident's own name is data, not interface text
        html = html.replace("日本語", "").replace("駒ヶ根 花子", "")
        assert JAPANESE.findall(html) == [], url
