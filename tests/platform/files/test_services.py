"""Storing, reusing, granting and deleting through the public API."""

from __future__ import annotations

import hashlib
import os

import pytest

from musubi.platform.accounts.models import Department
from musubi.platform.files import services
from musubi.platform.files.models import StoredFile
from musubi.platform.files.storage import LocalStorage

from .conftest import MINIMAL_PDF, jpeg_with_gps, upload


def test_stored_outside_web_root_under_random_key(resident, private_media):
    stored = services.store_upload(resident, upload("住民票.pdf", MINIMAL_PDF), purpose="proof")
    path = private_media / stored.storage_key[:2] / stored.storage_key[2:4] / stored.storage_key
    assert path.read_bytes() == MINIMAL_PDF
    assert "住民票" not in str(path)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert stored.sha256 == hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert (stored.content_type, stored.kind, stored.purpose) == ("application/pdf", "pdf", "proof")


def test_client_content_type_is_ignored(resident):
    stored = services.store_upload(resident, upload("x.pdf", MINIMAL_PDF, "image/png"))
    assert stored.content_type == "application/pdf"


def test_refused_upload_leaves_nothing(resident, private_media):
    with pytest.raises(services.FileRejected):
        services.store_upload(resident, upload("a.pdf", b"MZ" + b"\x00" * 64))
    assert not StoredFile.objects.exists()
    assert not private_media.exists() or not any(p.is_file() for p in private_media.rglob("*"))


def test_database_failure_removes_written_bytes(resident, private_media, monkeypatch):
    def fail(**_fields):
        raise RuntimeError("database down")

    monkeypatch.setattr(StoredFile.objects, "create", fail)
    with pytest.raises(RuntimeError):
        services.store_upload(resident, upload("a.pdf", MINIMAL_PDF))
    assert not any(p.is_file() for p in private_media.rglob("*"))


def test_storage_write_is_atomic(tmp_path, monkeypatch):
    storage = LocalStorage(tmp_path)

    def crash(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        storage.save(b"data")
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_total_limit_per_request(settings):
    settings.FILES_UPLOAD_MAX_TOTAL_MB = 1
    half = b"x" * (600 * 1024)
    with pytest.raises(services.FileRejected) as caught:
        services.check_total([upload("a.pdf", half), upload("b.pdf", half)])
    assert caught.value.reason == "total_too_large"
    assert "a.pdf" in caught.value.message and "b.pdf" in caught.value.message


def test_files_of_lists_only_own_files_by_kind(resident, other_resident):
    pdf = services.store_upload(resident, upload("a.pdf", MINIMAL_PDF))
    photo = services.store_upload(resident, upload("b.jpg", jpeg_with_gps(), "image/jpeg"))
    services.store_upload(other_resident, upload("c.pdf", MINIMAL_PDF))
    assert set(services.files_of(resident)) == {pdf, photo}
    assert list(services.files_of(resident, kinds=["pdf"])) == [pdf]
    assert services.owned_file(resident, pdf.pk) == pdf
    with pytest.raises(StoredFile.DoesNotExist):
        services.owned_file(other_resident, pdf.pk)


def test_owner_reads_others_do_not(resident, other_resident, make_staff):
    file = services.store_upload(resident, upload("a.pdf", MINIMAL_PDF))
    staff = make_staff("kodomo", "staff.dashboard")
    assert services.access_for(resident, file) == services.Access(as_staff=False)
    assert services.access_for(other_resident, file) is None
    assert services.access_for(staff, file) is None


def test_grant_in_department(resident, make_staff):
    file = services.store_upload(resident, upload("a.pdf", MINIMAL_PDF))
    kodomo = make_staff("kodomo", "accounts.manage")
    other = make_staff("zeimu", "accounts.manage")
    services.grant_access(
        file,
        permission_code="accounts.manage",
        department=Department.objects.get(code="kodomo"),
        reason="児童手当の審査",
    )
    assert services.access_for(kodomo, file) == services.Access(True, "児童手当の審査")
    assert services.access_for(other, file) is None


def test_grant_without_department_needs_the_permission(resident, make_staff):
    file = services.store_upload(resident, upload("a.pdf", MINIMAL_PDF))
    services.grant_access(file, permission_code="accounts.manage", reason="監査")
    assert services.can_read(make_staff("jinji", "accounts.manage"), file)
    assert not services.can_read(make_staff("kikaku", "staff.dashboard"), file)


def test_grant_of_undeclared_permission_is_a_programming_error(resident):
    file = services.store_upload(resident, upload("a.pdf", MINIMAL_PDF))
    with pytest.raises(LookupError):
        services.grant_access(file, permission_code="nope.view", reason="x")


def test_registered_policy(resident, make_staff, monkeypatch):
    file = services.store_upload(resident, upload("a.pdf", MINIMAL_PDF))
    staff = make_staff("kodomo", "staff.dashboard")
    monkeypatch.setattr(services, "_POLICIES", [])

    @services.register_policy("申請の審査")
    def reviewers(user, candidate):
        return user == staff and candidate == file

    assert services.access_for(staff, file) == services.Access(True, "申請の審査")
    assert services.access_for(make_staff("zeimu"), file) is None


def test_delete_refused_while_referenced(
    resident, monkeypatch, private_media, django_capture_on_commit_callbacks
):
    file = services.store_upload(resident, upload("a.pdf", MINIMAL_PDF))
    monkeypatch.setattr(services, "_FINDERS", [])
    in_use = {file.pk}
    services.register_references(lambda f: ["申請 R7-000001"] if f.pk in in_use else [])
    with pytest.raises(services.FileInUse) as caught:
        services.delete_file(resident, file)
    assert caught.value.uses == ["申請 R7-000001"]
    in_use.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_file(resident, file)
    assert not StoredFile.objects.exists()
    assert not any(p.is_file() for p in private_media.rglob("*"))
