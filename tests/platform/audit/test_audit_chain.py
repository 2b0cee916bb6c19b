"""The hash chain: who is recorded, append-only at every level, and tampering caught."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import DatabaseError, OperationalError, connection, transaction
from django.test import RequestFactory

from musubi import cli
from musubi.platform.api.models import ApiToken
from musubi.platform.audit import guard, services
from musubi.platform.audit.models import Action, AppendOnlyError, AuditRecord, ChainHead
from musubi.platform.audit.services import Subject

TABLE = AuditRecord._meta.db_table


def _rows(count: int) -> list[AuditRecord]:
    return [
        services.append(
            actor=f"clerk{i}",
            action="read",
            subject_type="resident",
            subject_id=str(i),
            what="record view",
        )
        for i in range(count)
    ]


def _verify(capsys) -> tuple[int, str]:
    code = cli.main(["audit", "verify"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.fixture
def request_for():
    def build(user=None, auth=None):
        request = RequestFactory().get("/staff/registry/1/")
        request.user = user or AnonymousUser()
        request.auth = auth
        request.request_id = "req-12345678"
        return request

    return build


def test_record_names_the_staff_member_with_department_and_role(make_staff, request_for):
    user = make_staff("shimin", role="clerk")
    row = services.record(
        request_for(user),
        action=Action.READ,
        subject=Subject("resident", "7"),
        what="resident record",
        purpose="転入届の確認",
    )
    assert (row.actor_id, row.actor, row.department, row.role) == (
        user.pk,
        str(user),
        "shimin",
        "clerk",
    )
    assert (row.client, row.subject_type, row.subject_id) == ("", "resident", "7")
    assert (row.purpose, row.request_id, row.action) == ("転入届の確認", "req-12345678", "read")


def test_record_names_the_api_client_and_its_department(make_staff, request_for):
    department = make_staff("zeimu").memberships.get().department
    token, _key = ApiToken.issue("tax-core", ["residents.view"], department)
    row = services.record(
        request_for(auth=token),
        action="search",
        subject=Subject("resident", ""),
        what="search by name",
    )
    assert (row.actor_id, row.actor, row.client, row.department) == (
        None,
        "tax-core",
        "tax-core",
        "zeimu",
    )


def test_record_for_anonymous(request_for, db):
    row = services.record(
        request_for(), action=Action.READ, subject=Subject("notice", "1"), what="x"
    )
    assert (row.actor_id, row.actor, row.department) == (None, "anonymous", "")


def test_record_of_a_model_instance_uses_its_name_and_key(make_staff, request_for):
    user = make_staff("shimin")
    row = services.record(request_for(user), action=Action.READ, subject=user, what="account")
    assert (row.subject_type, row.subject_id) == ("user", str(user.pk))


def test_record_rejects_an_unknown_action(request_for, db):
    with pytest.raises(ValueError):
        services.record(request_for(), action="peek", subject=Subject("x", "1"), what="x")
    assert not AuditRecord.objects.exists()


def test_over_long_text_is_shortened_not_lost(db):
    row = services.append(actor="a", action="read", subject_type="resident", what="長" * 500)
    assert len(row.what) == 200 and row.what.endswith("…")
    assert services.verify().intact


def test_model_refuses_changes_and_deletion(db):
    row = _rows(1)[0]
    row.what = "changed"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()


@pytest.mark.parametrize(
    "sql", [f"UPDATE {TABLE} SET what = 'forged'", f"DELETE FROM {TABLE}"], ids=["update", "delete"]
)
def test_database_triggers_refuse_raw_update_and_delete(db, sql):
    _rows(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw(sql)
    assert list(AuditRecord.objects.values_list("what", flat=True)) == ["record view"] * 2


def test_bulk_queryset_changes_are_refused_too(db):
    _rows(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.all().update(what="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(pk__gt=0).delete()
    assert AuditRecord.objects.count() == 2


def test_verify_passes_on_a_clean_chain(db, capsys):
    _rows(5)
    code, out = _verify(capsys)
    assert code == 0
    assert "the chain is intact (5 records)" in out


def test_verify_passes_on_an_empty_trail(db, capsys):
    assert _verify(capsys)[0] == 0


def test_verify_catches_a_row_edited_with_raw_sql(db, capsys):
    rows = _rows(5)
    guard.remove(connection)  # an attacker with the database owner's rights
    _raw(f"UPDATE {TABLE} SET actor = 'someone else' WHERE id = %s", [rows[2].pk])
    code, out = _verify(capsys)
    assert code == 1
    assert f"BROKEN row {rows[2].pk} (edited)" in out
    assert "1 problem(s) found" in out


def test_verify_catches_an_edit_whose_digest_was_recomputed(db, capsys):
    rows = _rows(4)
    forged = AuditRecord.objects.get(pk=rows[1].pk)
    forged.what = "nothing to see"
    guard.remove(connection)
    _raw(
        f"UPDATE {TABLE} SET what = %s, digest = %s WHERE id = %s",
        [forged.what, forged.compute_digest(), forged.pk],
    )
    code, out = _verify(capsys)
    assert code == 1
    assert f"BROKEN row {rows[2].pk} (unlinked)" in out


def test_verify_catches_a_row_deleted_from_the_middle(db, capsys):
    rows = _rows(5)
    guard.remove(connection)
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [rows[2].pk])
    code, out = _verify(capsys)
    assert code == 1
    assert f"BROKEN row {rows[3].pk} (unlinked)" in out
    assert "BROKEN chain end (tail)" in out


def test_verify_catches_the_last_row_deleted(db, capsys):
    rows = _rows(5)
    guard.remove(connection)
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [rows[-1].pk])
    code, out = _verify(capsys)
    assert code == 1
    assert "BROKEN chain end (tail)" in out
    assert "BROKEN row" not in out


def test_verify_catches_a_row_inserted_in_the_middle(db, capsys):
    rows = _rows(5)
    guard.remove(connection)
    _raw(f"UPDATE {TABLE} SET id = id + 100 WHERE id > %s", [rows[1].pk])  # make room
    forged = AuditRecord(
        id=rows[1].pk + 1,
        at=rows[1].at,
        actor="ghost",
        action="read",
        subject_type="resident",
        what="planted",
        previous_digest=rows[1].digest,
    )
    forged.digest = forged.compute_digest()  # a well-formed link from the row before it
    AuditRecord.objects.bulk_create([forged])
    code, out = _verify(capsys)
    assert code == 1
    assert f"BROKEN row {rows[2].pk + 100} (unlinked)" in out
    assert "BROKEN chain end (tail)" in out


def test_verify_catches_the_chain_head_removed(db, capsys):
    _rows(2)
    ChainHead.objects.all().delete()
    code, out = _verify(capsys)
    assert code == 1
    assert "BROKEN chain end (headless)" in out


def test_each_verification_is_kept(db, capsys):
    rows = _rows(3)
    _verify(capsys)
    guard.remove(connection)
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [rows[0].pk])
    _verify(capsys)
    last = services.last_verification()
    assert (last.intact, last.checked) == (False, 2)
    assert {"record_id": rows[1].pk, "kind": "unlinked"} in last.problems


def _append_retrying_on_sqlite(n: int, i: int) -> None:
    """Append one row; the in-memory SQLite test database (shared cache) refuses a second
    writer at once ("table is locked") instead of waiting, so a refused writer tries again.
    PostgreSQL writers wait on the chain head's row lock and are never refused."""
    while True:
        try:
            services.append(
                actor=f"writer{n}",
                action="read",
                subject_type="resident",
                subject_id=str(i),
                what="concurrent",
            )
            return
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.001)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain():
    writers, per_writer = 4, 15
    failures: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                _append_retrying_on_sqlite(n, i)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    outcome = services.verify()
    assert outcome.intact, outcome.breaks
    assert outcome.checked == writers * per_writer == ChainHead.objects.get().count
    assert AuditRecord.objects.values("previous_digest").distinct().count() == outcome.checked


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_trail_and_puts_the_guard_back():
    _rows(3)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditRecord.objects.exists()
    _rows(1)
    with pytest.raises(DatabaseError):
        _raw(f"DELETE FROM {TABLE}")
    assert AuditRecord.objects.count() == 1
