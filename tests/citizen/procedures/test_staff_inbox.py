"""The department inbox: filters, least privilege, counts, pagination and the audit trail."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from musubi.citizen.procedures import services
from musubi.citizen.procedures.models import Status
from musubi.platform.audit.models import AuditRecord
from tests.citizen.procedures.backoffice import build_world, claim, sign_in

INBOX = "/procedures/staff/"


def _receipts(response) -> list[str]:
    return [app.receipt_number for app in response.context["page"]]


def test_staff_see_only_their_departments_applications(db, client):
    world = build_world()
    app = world.submit()
    assert _receipts(sign_in(client, world.clerk).get(INBOX)) == [app.receipt_number]
    client.logout()
    other = sign_in(client, world.outsider).get(INBOX)
    assert other.status_code == 200
    assert _receipts(other) == []
    assert client.get(f"{INBOX}{app.pk}/").status_code == 404


def test_without_the_permission_the_inbox_is_forbidden(db, client, make_staff):
    build_world()
    nobody = make_staff("kikaku", "staff.dashboard")
    assert sign_in(client, nobody).get(INBOX).status_code == 403


def test_not_signed_in_goes_to_the_staff_login(db, client):
    response = client.get(INBOX)
    assert response.status_code == 302
    assert "/accounts/staff/login/" in response["Location"]


def test_filters_status_assignee_text_and_counts(db, client):
    world = build_world()
    first = world.submit(claim("花子", "ハナコ"))
    second = world.submit(claim("桜", "サクラ"))
    world.move(second, Status.RECEIVED)
    second.refresh_from_db()
    services.assign(second, world.clerk, actor=world.clerk, expected_version=second.version)
    sign_in(client, world.clerk)

    assert _receipts(client.get(INBOX, {"status": "received"})) == [second.receipt_number]
    assert _receipts(client.get(INBOX, {"assignee": "mine"})) == [second.receipt_number]
    assert _receipts(client.get(INBOX, {"assignee": "unassigned"})) == [first.receipt_number]
    assert _receipts(client.get(INBOX, {"q": "さくら"})) == [second.receipt_number]
    assert _receipts(client.get(INBOX, {"q": first.receipt_number})) == [first.receipt_number]
    counts = dict(client.get(INBOX).context["counts"])
    assert counts[Status.SUBMITTED.label] == 1
    assert counts[Status.RECEIVED.label] == 1


def test_overdue_against_the_standard_processing_period(db, client):
    world = build_world()
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)):
        late = world.submit()
    with time_machine.travel(dt.datetime(2026, 1, 25, 10, tzinfo=dt.UTC)):
        fresh = world.submit()
        response = sign_in(client, world.clerk).get(INBOX, {"overdue": "on"})
        assert _receipts(response) == [late.receipt_number]
        assert fresh.receipt_number not in response.content.decode()
        assert "期限超過" in response.content.decode()


def test_unknown_filter_values_are_reported_not_a_500(db, client):
    world = build_world()
    response = sign_in(client, world.clerk).get(INBOX, {"status": "nonsense", "sort": "x"})
    assert response.status_code == 200
    assert response.context["page"] is None
    assert response.context["form"].errors["status"]


def test_sorted_and_paginated_by_fifty(db, client):
    world = build_world()
    apps = [world.submit() for _ in range(52)]
    sign_in(client, world.clerk)
    first_page = client.get(INBOX, {"sort": "-submitted"})
    assert len(first_page.context["page"]) == 50
    assert _receipts(first_page)[0] == apps[-1].receipt_number
    second_page = client.get(INBOX, {"sort": "-submitted", "page": 2})
    assert _receipts(second_page) == [apps[1].receipt_number, apps[0].receipt_number]


def test_every_list_and_detail_is_audited(db, client):
    world = build_world()
    app = world.submit()
    sign_in(client, world.clerk)
    client.get(INBOX, {"status": "submitted"})
    client.get(f"{INBOX}{app.pk}/")
    search = AuditRecord.objects.get(action="search", subject_type="application")
    assert search.actor_id == world.clerk.pk
    assert "status=submitted" in search.what
    read = AuditRecord.objects.get(action="read", subject_id=str(app.pk))
    assert read.subject_type == "application"
    assert read.actor_id == world.clerk.pk


def test_inbox_queries_do_not_grow_with_the_page(db, client):
    world = build_world()
    world.submit()
    sign_in(client, world.clerk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INBOX).status_code == 200
        return len(captured)

    queries()  # the first request of a session also sets up the audit chain
    with_one = queries()
    for _ in range(30):
        world.submit()
    assert queries() == with_one  # select_related: no query per row


def test_page_rows_are_read_by_id_and_the_procedure_filter_needs_no_join(db, client):
    """With 100,000 applications, filtering again to read the page's 50 rows (or joining the
    procedure to match its code) made the database walk a whole department's index."""
    world = build_world()
    apps = [world.submit() for _ in range(3)]
    sign_in(client, world.clerk)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(INBOX, {"procedure": world.procedure.code, "overdue": ""})
    assert sorted(_receipts(response)) == sorted(a.receipt_number for a in apps)
    applications = [q["sql"] for q in captured if '"procedures_application"' in q["sql"]]
    assert applications and not any(
        '"procedures_procedure"."code" =' in sql for sql in applications
    )
    rows = [sql for sql in applications if '"procedures_application"."search_key"' in sql]
    assert len(rows) == 1 and '"procedures_application"."department_id" IN' not in rows[0]
    assert client.get(INBOX, {"procedure": "no-such-code"}).context["page"] is None
