"""The demo: templates, one notice to 中沢 sent (to nowhere), and the queue drained."""

from django.core import mail
from django.test import override_settings

from musubi.platform.notify import demo
from musubi.platform.notify.models import Delivery, Message, MessageState, Template


@override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend")
def test_the_demo_seed(town):
    counts = demo.seed()
    assert counts["notice templates"] == 2 == Template.objects.count()
    message = Message.objects.get(source="demo")
    assert message.state == MessageState.SENT
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    assert mail.outbox == []
    assert demo.seed()["deliveries sent"] == 0  # a second run adds nothing
    demo.clear()
    assert not Message.objects.exists()
