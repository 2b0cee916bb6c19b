"""Paper or a visit: households no digital channel reaches go on a printable list.

"Sending" puts the household on the list (staff print it per 区/組 for post or door-to-door);
the household counts as reached only once staff record the letter or visit as done.
"""

from __future__ import annotations

from musubi.platform.notify.channels.base import Channel, Outcome, Outgoing, Result
from musubi.platform.notify.channels.registry import register


@register
class PaperChannel(Channel):
    code = "paper"
    label_ja = "紙・訪問"
    label_en = "Paper or visit"
    max_batch = 500
    digital = False
    per_person = False

    def send(self, items: list[Outgoing]) -> list[Result]:
        return [Result(item.delivery_id, Outcome.SENT, "on the printable list") for item in items]
