"""The demo: catalogue loaded and published, applications in several states."""

from __future__ import annotations

from musubi.citizen.procedures import demo, services
from musubi.citizen.procedures.models import Application, Channel, Procedure, Status


def test_seed_loads_the_catalogue_and_tells_stories(small_city):
    counts = demo.seed()
    assert counts == {"procedures": 27, "demo applications": 4}
    assert all(services.published_version(p) for p in Procedure.objects.all())
    statuses = sorted(Application.objects.values_list("status", flat=True))
    assert statuses == sorted(
        [Status.COMPLETED, Status.CORRECTION_REQUESTED, Status.SUBMITTED, Status.RECEIVED]
    )
    counter = Application.objects.get(channel=Channel.COUNTER)
    assert counter.applicant is None and counter.resident is not None
    assert counter.data["requester_name"]["family"] == "駒ヶ根"
    demo.clear()
    assert not Application.objects.exists()
