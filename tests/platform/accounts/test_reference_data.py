import json

import pytest
from django.core.management import CommandError, call_command

from musubi.platform.accounts import services
from musubi.platform.accounts.models import Department, PermissionGrant


def grants_of(department: str, role: str) -> set[str]:
    return set(
        PermissionGrant.objects.filter(department__code=department, role=role).values_list(
            "permission", flat=True
        )
    )


def test_sixteen_departments_in_the_city_order(reference_data):
    names = list(Department.objects.values_list("name", flat=True))
    assert len(names) == 16
    assert names[:3] == ["市民課", "税務課", "福祉課"]
    assert names[10] == "総務課"
    assert names[-1] == "議会事務局"
    assert Department.objects.get(code="somu").name_en == "General Affairs Division"


def test_grants_follow_the_data_file(reference_data):
    assert grants_of("shimin", "clerk") == {
        "staff.dashboard",
        "residents.view",
        "residents.change",
        "forms.review_corrections",
        "procedures.view",
        "procedures.process",
        "procedures.counter",
        "bookings.manage",
        "circulars.post",
        "maps.view_internal",
    }
    assert {"residents.import", "residents.export"} <= grants_of("shimin", "supervisor")
    assert "residents.import" not in grants_of("shimin", "clerk")
    every_member = {"staff.dashboard", "maps.view_internal"}
    assert grants_of("zeimu", "clerk") == every_member | {"residents.view", "bookings.manage"}
    every_head = {"notify.view", "notify.send", "opendata.publish"}
    assert grants_of("zeimu", "head") == every_member | every_head
    assert {"accounts.manage", "audit.view", "api.manage_tokens"} <= grants_of(
        "somu", "administrator"
    )
    assert "accounts.manage" not in grants_of("somu", "head")
    every = PermissionGrant.objects.filter(permission="staff.dashboard").count()
    assert every == 16 * 4


def test_loading_twice_changes_nothing(reference_data):
    before = list(PermissionGrant.objects.order_by("pk").values_list("pk", flat=True))
    again = services.sync_reference_data()
    assert again["grants created"] == 0 and again["grants removed"] == 0
    assert list(PermissionGrant.objects.order_by("pk").values_list("pk", flat=True)) == before


def test_a_grant_removed_from_the_file_is_withdrawn(reference_data, tmp_path):
    table = json.loads((services.DATA_DIR / "grants.json").read_text())
    table["zeimu"] = {}
    grants = tmp_path / "grants.json"
    grants.write_text(json.dumps(table))
    counts = services.sync_reference_data(grants_file=grants)
    assert counts["grants removed"] == 2
    assert grants_of("zeimu", "clerk") == {"staff.dashboard", "maps.view_internal"}


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        (
            {"shimin": {"clerk": ["residents.teleport"]}},
            "undeclared permission 'residents.teleport'",
        ),
        ({"nosuchka": {"clerk": ["residents.view"]}}, "unknown department 'nosuchka'"),
        ({"shimin": {"mayor": ["residents.view"]}}, "unknown role 'mayor'"),
    ],
)
def test_bad_grants_file_is_refused_and_nothing_is_written(db, tmp_path, table, problem):
    grants = tmp_path / "grants.json"
    grants.write_text(json.dumps(table))
    with pytest.raises(services.ReferenceDataError, match=problem):
        services.sync_reference_data(grants_file=grants)
    assert not Department.objects.exists()
    assert not PermissionGrant.objects.exists()


def test_broken_departments_file_is_refused(db, tmp_path):
    departments = tmp_path / "departments.json"
    departments.write_text('[{"code": "shimin", "name": "市民課"}, {"code": "shimin"}')
    with pytest.raises(services.ReferenceDataError, match="cannot read JSON"):
        services.sync_reference_data(departments_file=departments)
    departments.write_text(json.dumps([{"code": "a", "name": "A", "name_en": "A"}] * 2))
    with pytest.raises(services.ReferenceDataError, match="listed twice"):
        services.sync_reference_data(departments_file=departments)


def test_management_command(db, capsys):
    call_command("sync_departments")
    assert "16 departments" in capsys.readouterr().out
    assert Department.objects.count() == 16


def test_management_command_reports_a_bad_file_clearly(db, tmp_path, monkeypatch):
    bad = tmp_path / "grants.json"
    bad.write_text(json.dumps({"shimin": {"clerk": ["nope.nothing"]}}))
    monkeypatch.setattr(services, "DATA_DIR", tmp_path)
    (tmp_path / "departments.json").write_text(
        json.dumps([{"code": "shimin", "name": "市民課", "name_en": "Citizens"}])
    )
    with pytest.raises(CommandError, match=r"undeclared permission 'nope\.nothing'"):
        call_command("sync_departments")
