"""API: send with a scoped token and Idempotency-Key, list, one message with reach, deliveries."""

import pytest

from musubi.platform.audit.models import AuditRecord
from musubi.platform.notify import outbox, services
from musubi.platform.notify.models import Message

SEND = "/api/v1/notices/send/"
BODY = {"template": "water-stop", "values": {"date": "6月1日", "area": "中沢"},
        "audience": {"kind": "district", "district": "nakazawa"}}  # fmt: skip


def _post(client, auth, body, key="k-1"):
    return client.post(SEND, body, content_type="application/json",
                       headers={"authorization": auth, "Idempotency-Key": key})  # fmt: skip


def test_send_is_idempotent_per_key(client, token, town, template):
    auth = token("notify.send", "notify.view")
    first = _post(client, auth, BODY)
    again = _post(client, auth, BODY)
    assert first.status_code == 201 and again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert Message.objects.count() == 1
    assert Message.objects.get().source == "api"


def test_emergencies_need_their_own_scope(client, token, town, template):
    response = _post(client, token("notify.send"), BODY | {"emergency": True})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"template": "nope"}, "template"),
        ({"values": {"date": "x"}}, "values"),
        ({"audience": {"kind": "district"}}, "audience"),
        ({"scheduled_at": "2000-01-01T00:00:00Z"}, "scheduled_at"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(client, token, town, template, change, field):
    response = _post(client, token("notify.send"), BODY | change, key=f"bad-{field}-{len(change)}")
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Message.objects.exists()


def test_read_messages_reach_and_deliveries(client, token, town, compose):
    message = compose()
    services.fan_out(message)
    outbox.Worker(emergency=False).drain()
    auth = {"authorization": token("notify.view")}
    listed = client.get("/api/v1/notices/", headers=auth).json()
    assert [m["id"] for m in listed["results"]] == [message.pk]
    detail = client.get(f"/api/v1/notices/{message.pk}/", headers=auth).json()
    assert detail["reach"]["households"] == 4 and detail["reach"]["reached"] == 2
    assert detail["reach"]["by_channel"]["email"] == {"sent": 3}
    page = client.get(f"/api/v1/notices/{message.pk}/deliveries/?page_size=2", headers=auth)
    assert page.status_code == 200
    assert page.json()["count"] == 6
    assert AuditRecord.objects.filter(what="deliveries").count() == 1


def test_send_needs_the_scope(client, token, town, template):
    assert _post(client, token("notify.view"), BODY).status_code == 403
