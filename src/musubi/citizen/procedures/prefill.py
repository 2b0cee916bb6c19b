"""The ``previous`` prefill provider: answers from the resident's earlier submissions (once only).

A field declaring ``"prefill": "previous.bank_account"`` starts with the value the resident
gave for ``bank_account`` in their most recent submitted application that had one. Editable:
the resident may change it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from musubi.citizen.procedures.models import Application, Status
from musubi.platform.forms import services as forms

LOOK_BACK = 20  # earlier applications searched, newest first


@forms.prefill_provider("previous")
class PreviousSubmissions(forms.PrefillProvider):
    label = _("前回の申請より")
    read_only = False
    attributes = None

    def values(self, context: forms.PrefillContext, attributes: Iterable[str]) -> dict[str, Any]:
        wanted = set(attributes)
        if not getattr(context.user, "is_authenticated", False) or not wanted:
            return {}
        earlier = (
            Application.objects.filter(applicant=context.user, submitted_at__isnull=False)
            .exclude(status=Status.WITHDRAWN)
            .order_by("-submitted_at")
            .values_list("data", flat=True)[:LOOK_BACK]
        )
        found: dict[str, Any] = {}
        for data in earlier:
            for key in wanted - found.keys():
                if data.get(key) not in (None, "", [], {}):
                    found[key] = data[key]
            if found.keys() == wanted:
                break
        return found
