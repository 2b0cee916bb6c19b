"""Scheduled sends, re-notifying the unacknowledged, and other apps' messages through the hub."""

import datetime as dt

import time_machine
from django.core import mail
from django.utils import timezone

from musubi.platform.notify import services, worker
from musubi.platform.notify.models import Delivery, MessageState


def test_a_scheduled_message_goes_out_when_due(town, compose):
    later = timezone.now() + dt.timedelta(hours=2)
    message = compose(scheduled_at=later)
    worker.run_once()
    assert mail.outbox == [] and not Delivery.objects.exists()
    with time_machine.travel(later + dt.timedelta(seconds=1)):
        worker.run_once()
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert len(mail.outbox) == 3


def test_a_send_time_in_the_past_is_refused(town, compose):
    import pytest
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        compose(scheduled_at=timezone.now() - dt.timedelta(hours=1))


def test_the_unacknowledged_are_notified_again_on_their_next_channel(town, compose):
    nakazawa, higashi = town.households["nakazawa"], town.households["higashi"]
    message = compose(needs_ack=True, renotify_after_minutes=30)
    worker.run_once()
    services.acknowledge(message, nakazawa.pk)
    assert services.renotify_due() == 0  # not yet
    before = set(Delivery.objects.values_list("pk", flat=True))
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=31)):
        assert services.renotify_due() == 1
        assert services.renotify_due() == 0  # once only
    fresh = Delivery.objects.exclude(pk__in=before)
    # 次郎 has no channel left but email: his household goes on the paper/visit list;
    # 中沢 acknowledged, and the two paper households are on the list already
    assert [(d.channel, d.household_id) for d in fresh] == [("paper", higashi.pk)]


def test_send_to_user_queues_instead_of_sending(django_user_model):
    user = django_user_model.objects.create_user(username="a@example.jp", email="a@example.jp")
    message = services.send_to_user(user, "件名", "本文", source="procedures")
    assert mail.outbox == []
    delivery = Delivery.objects.get(message=message)
    assert (delivery.channel, delivery.address, delivery.user) == ("email", "a@example.jp", user)
    worker.run_once()
    assert [m.subject for m in mail.outbox] == ["件名"]
    nobody = django_user_model.objects.create_user(username="b", email="")
    assert services.send_to_user(nobody, "件名", "本文") is None
