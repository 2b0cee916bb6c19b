"""CSV export for the core systems: both group layouts, encodings, formula escaping, the
mapping upload with its errors, permissions and the audit trail."""

from __future__ import annotations

import csv
import io
import json

from musubi.citizen.procedures import export
from musubi.citizen.procedures.models import FormVersion
from musubi.platform.audit.models import AuditRecord
from tests.citizen.procedures.backoffice import build_world, claim, sign_in

BASE = "/procedures/staff/export/jidou-teate-test/"
MAPPING = {
    "受付番号": "@receipt_number",
    "請求者氏名": "/name",
    "電話番号": "phone",
    "child_{n}_name": "/children/*/name",
    "child_{n}_birthdate": "children[].birthdate",
}


def _rows(response, encoding="utf-8-sig") -> list[list[str]]:
    body = b"".join(response.streaming_content).decode(encoding)
    return list(csv.reader(io.StringIO(body)))


def _with_mapping(world) -> FormVersion:
    version = world.procedure.versions.get()
    version.export_columns = export.parse_mapping(MAPPING, version.definition)
    version.save()
    return version


def test_one_row_per_child_with_the_receipt_number_repeated(db, client):
    world = build_world()
    _with_mapping(world)
    two = world.submit(claim(children=2))
    three = world.submit(claim("桜", "サクラ", children=3))
    response = sign_in(client, world.supervisor).get(f"{BASE}csv/", {"layout": "rows"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _rows(response)
    assert rows[0] == list(MAPPING)
    assert [r[0] for r in rows[1:]] == [two.receipt_number] * 2 + [three.receipt_number] * 3
    assert [r[3] for r in rows[1:]] == [
        "駒ヶ根 一郎",
        "駒ヶ根 二郎",
        "駒ヶ根 一郎",
        "駒ヶ根 二郎",
        "駒ヶ根 三郎",
    ]
    assert rows[1][1] == "駒ヶ根 花子" and rows[1][2] == "0265-83-2111"


def test_numbered_columns_hold_every_child(db, client):
    world = build_world()
    _with_mapping(world)
    world.submit(claim(children=1))
    world.submit(claim(children=3))
    rows = _rows(sign_in(client, world.supervisor).get(f"{BASE}csv/", {"layout": "numbered"}))
    assert rows[0] == [
        "受付番号", "請求者氏名", "電話番号",
        "child_1_name", "child_2_name", "child_3_name",
        "child_1_birthdate", "child_2_birthdate", "child_3_birthdate",
    ]  # fmt: skip
    assert len(rows) == 3
    assert rows[1][3:6] == ["駒ヶ根 一郎", "", ""]
    assert rows[2][3:6] == ["駒ヶ根 一郎", "駒ヶ根 二郎", "駒ヶ根 三郎"]


def test_default_mapping_without_configuration_loses_no_child(db, client):
    world = build_world()
    world.submit(claim(children=3))
    rows = _rows(sign_in(client, world.supervisor).get(f"{BASE}csv/"))
    assert "子ども・氏名" in rows[0]
    assert len(rows) == 4


def test_cp932_and_utf8_bom(db, client):
    world = build_world()
    world.submit()
    sign_in(client, world.supervisor)
    utf8 = b"".join(client.get(f"{BASE}csv/", {"encoding": "utf-8"}).streaming_content)
    assert utf8.startswith(b"\xef\xbb\xbf")
    sjis = client.get(f"{BASE}csv/", {"encoding": "cp932"})
    assert "Shift_JIS" in sjis["Content-Type"]
    assert "駒ヶ根 花子" in b"".join(sjis.streaming_content).decode("cp932")


def test_cp932_refuses_characters_it_cannot_hold_before_sending_anything(db, client):
    world = build_world()
    odd = world.submit(claim("𠮷子", "ヨシコ"))
    response = sign_in(client, world.supervisor).get(f"{BASE}csv/", {"encoding": "cp932"})
    assert response.status_code == 400
    page = response.content.decode()
    assert odd.receipt_number in page and "UTF-8で出力してください" in page
    assert not AuditRecord.objects.filter(action="export").exists()


def test_formula_injection_is_neutralised(db, client):
    world = build_world()
    world.submit({**claim(), "notes": '=HYPERLINK("http://evil.example","x")'})
    rows = _rows(sign_in(client, world.supervisor).get(f"{BASE}csv/"))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert export.safe_cell("=1+2") == "'=1+2"
    assert export.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert export.safe_cell("-12") == "-12"


def test_export_is_audited_and_needs_the_permission(db, client):
    world = build_world()
    world.submit()
    assert sign_in(client, world.clerk).get(f"{BASE}csv/").status_code == 403
    client.logout()
    assert sign_in(client, world.outsider).get(f"{BASE}csv/").status_code == 404
    client.logout()
    sign_in(client, world.supervisor).get(f"{BASE}csv/", {"layout": "numbered"})
    row = AuditRecord.objects.get(action="export")
    assert row.actor_id == world.supervisor.pk
    assert row.subject_id == "jidou-teate-test" and "layout=numbered" in row.what


def test_bad_choices_are_explained(db, client):
    world = build_world()
    response = sign_in(client, world.supervisor).get(f"{BASE}csv/", {"layout": "sideways"})
    assert response.status_code == 400
    assert "出力の条件が正しくありません" in response.content.decode()


def test_mapping_upload_saves_a_valid_mapping(db, client):
    world = build_world()
    sign_in(client, world.supervisor)
    response = client.post(f"{BASE}mapping/", {"version": "1", "mapping": json.dumps(MAPPING)})
    assert response.status_code == 302
    saved = world.procedure.versions.get().export_columns
    assert saved[0] == {"header": "受付番号", "path": "@receipt_number"}
    upload = io.BytesIO(json.dumps([{"header": "氏名", "path": "/name"}]).encode())
    upload.name = "mapping.json"
    assert client.post(f"{BASE}mapping/", {"version": "1", "file": upload}).status_code == 302
    assert world.procedure.versions.get().export_columns == [{"header": "氏名", "path": "/name"}]


def test_mapping_errors_are_listed_and_nothing_is_saved(db, client):
    world = build_world()
    sign_in(client, world.supervisor)
    bad = [
        {"header": "氏名", "path": "/name"},
        {"header": "氏名", "path": "/phone"},
        {"header": "口座", "path": "/bank/number"},
        {"header": "状態", "path": "@colour"},
    ]
    typed = json.dumps(bad, ensure_ascii=False)
    response = client.post(f"{BASE}mapping/", {"version": "1", "mapping": typed})
    assert response.status_code == 400
    problems = response.context["problems"]
    assert any("「氏名」が重複" in p for p in problems)
    assert any("/bank/number" in p and "様式にありません" in p for p in problems)
    assert any("@colour" in p for p in problems)
    assert world.procedure.versions.get().export_columns == []
    assert response.context["typed"] == typed  # what was typed stays in the editor
    broken = client.post(f"{BASE}mapping/", {"version": "1", "mapping": "{oops"})
    assert "JSONの形式が正しくありません" in broken.content.decode()
