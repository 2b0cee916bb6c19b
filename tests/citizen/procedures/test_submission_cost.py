"""What one submission through the API costs in SQL statements, pinned so a regression fails.

These tests run outside a test transaction (``transaction=True``), as a web request does:
the Idempotency-Key reservation commits on its own, and the submission commits together with
its status message.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from musubi.citizen.procedures.models import Application, Status
from musubi.platform.api.models import IdempotentRequest
from musubi.platform.notify.models import Delivery
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import LinkMethod

from .conftest import GOOD_DATA

URL = "/api/v1/me/applications/"

#: session, and user with its account link (2); the Idempotency-Key reservation (1);
#: procedure with its version in force, file ownership (2); BEGIN, receipt counter, application,
#: transition, the status message (message, delivery), attachments, COMMIT (8); the key's
#: answer kept (1). Each statement is listed in the failure message when the count goes up.
SUBMISSION_STATEMENTS = 14


@pytest.fixture
def linked(resident, register_resident):
    """The resident's account linked to a 住民 record, as the registry prefill needs."""
    residents.link_account(resident, register_resident(), LinkMethod.values[0])
    return resident


def _body(procedure, id_photo, data=None):
    return {
        "procedure": procedure.code,
        "data": data or dict(GOOD_DATA),
        "attachments": [{"requirement": "id_doc", "file": str(id_photo.pk)}],
    }


def _post(client, body, key):
    return client.post(URL, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db(transaction=True)
def test_one_submission_costs_at_most_the_pinned_statements(client, procedure, linked, id_photo):
    client.force_login(linked)
    _post(client, _body(procedure, id_photo), "warm-up")  # this year's receipt counter exists
    with CaptureQueriesContext(connection) as captured:
        response = _post(client, _body(procedure, id_photo), "once")
    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in captured.captured_queries]
    assert len(statements) <= SUBMISSION_STATEMENTS, "\n".join(statements)
    # The guarantees the statements pay for are all still kept.
    application = Application.objects.get(receipt_number=response.json()["receipt_number"])
    assert application.status == Status.SUBMITTED and application.resident is not None
    assert application.transitions.get().to_status == Status.SUBMITTED
    assert application.attachments.get().file_id == id_photo.pk
    assert IdempotentRequest.objects.get(key="once").status_code == 201
    assert Delivery.objects.filter(user=linked).count() == 2  # one status message each


@pytest.mark.django_db(transaction=True)
def test_refused_submission_writes_nothing_and_costs_less(client, procedure, linked, id_photo):
    client.force_login(linked)
    wrong = {**GOOD_DATA, "birthdate": "2999-01-01"}
    with CaptureQueriesContext(connection) as captured:
        response = _post(client, _body(procedure, id_photo, wrong), "wrong")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["data.birthdate"]
    assert len(captured.captured_queries) < SUBMISSION_STATEMENTS - 6
    assert not Application.objects.exists() and not Delivery.objects.exists()
    assert not IdempotentRequest.objects.filter(key="wrong").exists()  # free for the fix
    assert _post(client, _body(procedure, id_photo), "wrong").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_key_taken_outside_a_transaction_replays_or_refuses(client, procedure, linked, id_photo):
    """The reservation is a bare INSERT when no transaction is open: a taken key must still
    replay the first answer, refuse a different body, and leave the connection usable."""
    client.force_login(linked)
    first = _post(client, _body(procedure, id_photo), "double-click")
    again = _post(client, _body(procedure, id_photo), "double-click")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["receipt_number"] == first.json()["receipt_number"]
    other = _post(client, _body(procedure, id_photo, {**GOOD_DATA, "copies": 3}), "double-click")
    assert other.status_code == 422
    assert Application.objects.count() == 1 and Delivery.objects.count() == 1
    assert _post(client, _body(procedure, id_photo), "next").status_code == 201
