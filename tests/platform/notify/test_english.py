"""In English, the hub's pages show no Japanese UI text."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from musubi.platform.notify import outbox, services

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]+")


def japanese_in(html: str) -> list[str]:
    return JAPANESE.findall(html.replace("日本語", ""))


@pytest.fixture(autouse=True)
def back_to_japanese():
    """The locale middleware leaves English active in this thread; later tests expect Japanese."""
    yield
    translation.deactivate()


@pytest.fixture
def english_notice(town, compose):
    message = compose(values={"date": "1 June", "area": "Nakazawa"}, needs_ack=True)
    services.fan_out(message)
    outbox.Worker(emergency=False).drain()
    return message


def test_public_pages_in_english(client, english_notice, town):
    client.cookies["django_language"] = "en"
    token = outbox.ack_token(english_notice.pk, town.households["higashi"].pk)
    for url in (reverse("notify:notices"), reverse("notify:notice", args=[english_notice.pk]),
                reverse("notify:ack", args=[token])):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200
        assert japanese_in(response.content.decode()) == [], url
    assert "Water outage (1 June)" in client.get(reverse("notify:notices")).content.decode()


def test_staff_pages_in_english(client, make_staff, signed_in, english_notice):
    staff = signed_in(make_staff("somu", "notify.view", "notify.send"))
    staff.cookies["django_language"] = "en"
    template = english_notice.template
    content = set(japanese_in(" ".join([template.name, *template.subjects.values(),
                                        *template.bodies.values()])))  # fmt: skip
    for url in (reverse("notify:staff_messages"), reverse("notify:staff_choose"),
                reverse("notify:staff_message", args=[english_notice.pk]),
                reverse("notify:staff_template_new"),
                reverse("notify:staff_template_edit", args=[template.code])):  # fmt: skip
        response = staff.get(url)
        assert response.status_code == 200
        found = [t for t in japanese_in(response.content.decode()) if t not in content]
        assert found == [], url
