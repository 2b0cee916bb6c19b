"""The public notices page (/notices/) and its Atom feed.

A message with ``publish_onsite`` gets one onsite delivery; "sending" it means making it
visible: the pages list messages whose onsite delivery is sent. It reaches no one person.
"""

from __future__ import annotations

from musubi.platform.notify.channels.base import Channel, Outcome, Outgoing, Result
from musubi.platform.notify.channels.registry import register

ADDRESS = "public"


@register
class OnsiteChannel(Channel):
    code = "onsite"
    label_ja = "お知らせページ"
    label_en = "Notices page"
    max_batch = 100
    per_person = False

    def send(self, items: list[Outgoing]) -> list[Result]:
        return [Result(item.delivery_id, Outcome.SENT, "published") for item in items]
