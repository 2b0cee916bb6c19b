"""How an HTTP provider's answer maps to a delivery outcome; shared by the HTTP channels.

The rule every provider here follows: 2xx accepted; 429, 408 and 5xx mean "not now"; a
refused credential (401/403) is our configuration, fixed by an operator, so the delivery waits
rather than being lost; any other 4xx is about this recipient and is final.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

from musubi.platform.notify.channels.base import Outcome

_TEMPORARY = {401, 403, 408, 425, 429}


def outcome_for(status: int) -> Outcome:
    """The delivery outcome for an HTTP status code from a provider."""
    if 200 <= status < 300:
        return Outcome.SENT
    if status in _TEMPORARY or status >= 500:
        return Outcome.FAILED_TEMPORARY
    return Outcome.FAILED_PERMANENT


def retry_after(headers: Mapping[str, str], default: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date), else ``default``."""
    raw = headers.get("retry-after", "").strip()
    if not raw:
        return default
    if raw.isdigit():
        return float(raw)
    try:
        when = email.utils.parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError):
        return default
    return max(0.0, when - time.time())
