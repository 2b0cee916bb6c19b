"""CSV import: encodings, dry run, all-or-nothing, and every kind of bad row, reported exactly."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from musubi.platform.residents import bulkwrite, exporters, importers, layout, services
from musubi.platform.residents.models import (
    Address,
    ContactPoint,
    Household,
    ResidenceEvent,
    Resident,
)

BASE = [
    {
        "宛名番号": "0000000101",
        "世帯番号": "00000101",
        "続柄": "世帯主",
        "氏": "北原",
        "名": "健一",
        "氏フリガナ": "キタハラ",
        "名フリガナ": "ケンイチ",
        "生年月日": "1970-01-02",
        "性別": "1",
        "国籍": "JP",
        "言語": "ja",
        "郵便番号": "399-4117",
        "町字": "赤穂",
        "番地": "100-1",
        "建物名等": "",
        "区": "南割",
        "組": "1",
        "緯度": "35.72",
        "経度": "137.92",
        "住定日": "",
        "メールアドレス": "kenichi@example.com",
        "電話番号": "090-1234-5678",
    },
    {
        "宛名番号": "0000000102",
        "世帯番号": "00000101",
        "続柄": "妻",
        "氏": "北原",
        "名": "幸子",
        "氏フリガナ": "キタハラ",
        "名フリガナ": "サチコ",
        "生年月日": "1972-03-04",
        "性別": "2",
        "国籍": "JP",
        "言語": "ja",
        "郵便番号": "399-4117",
        "町字": "赤穂",
        "番地": "100-1",
        "建物名等": "",
        "区": "南割",
        "組": "1",
        "緯度": "35.72",
        "経度": "137.92",
        "住定日": "",
        "メールアドレス": "",
        "電話番号": "",
    },
    {
        "宛名番号": "0000000103",
        "世帯番号": "00000102",
        "続柄": "本人",
        "氏": "NGUYEN",
        "名": "VAN AN",
        "氏フリガナ": "グエン",
        "名フリガナ": "ヴァン アン",
        "生年月日": "平成10年2月3日",
        "性別": "1",
        "国籍": "VN",
        "言語": "vi",
        "郵便番号": "3994231",
        "町字": "中沢",
        "番地": "5",
        "建物名等": "コーポ中沢 101",
        "区": "中沢",
        "組": "2",
        "緯度": "",
        "経度": "",
        "住定日": "2020-04-01",
        "メールアドレス": "",
        "電話番号": "0265-83-2111",
    },
]


def to_csv(rows, header=layout.NAMES, encoding="utf-8", bom=False, extra=None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for index, row in enumerate(rows):
        fields = [row.get(name, "") for name in header]
        writer.writerow(fields + (extra or {}).get(index, []))
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding)


def rows_with(index: int, **changes) -> list[dict]:
    rows = [dict(r) for r in BASE]
    rows[index].update(changes)
    return rows


def errors_of(data: bytes) -> list[tuple[int, str, str, str]]:
    result = importers.import_csv(data, dry_run=False)
    assert Resident.objects.count() == 0, "nothing may be written when a row is wrong"
    assert Household.objects.count() == 0
    return [(e.line, e.column, e.code, e.message_ja) for e in result.errors]


def test_valid_file_is_imported_with_households_heads_events_and_contacts(city):
    result = importers.import_csv(to_csv(BASE), dry_run=False)
    assert result.ok
    assert result.counts == {"residents": 3, "households": 2}
    head = Resident.objects.get(number="0000000101")
    assert head.household.head == head
    assert Resident.objects.get(number="0000000103").birthdate.isoformat() == "1998-02-03"
    assert Resident.objects.get(number="0000000103").relationship == "世帯主"
    assert ResidenceEvent.objects.get(resident__number="0000000103").kind == "move_in"
    assert ResidenceEvent.objects.get(resident=head).kind == "birth"
    assert set(ContactPoint.objects.values_list("kind", flat=True)) == {"email", "mobile", "phone"}
    assert Household.objects.get(number="00000102").address.postal_code == "399-4231"


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("cp932", False)])
def test_accepted_encodings(city, encoding, bom):
    result = importers.import_csv(to_csv(BASE, encoding=encoding, bom=bom), dry_run=False)
    assert result.ok, result.errors
    assert Resident.objects.get(number="0000000102").given_name == "幸子"
    assert Resident.objects.get(number="0000000103").given_name_kana == "ヴァン アン"


def test_dry_run_writes_nothing_and_reports_counts(city):
    result = importers.import_csv(to_csv(BASE), dry_run=True)
    assert result.ok and result.counts == {"residents": 3, "households": 2}
    assert Resident.objects.count() == 0


def test_progress_is_reported_up_to_the_total(city):
    calls = []
    importers.import_csv(to_csv(BASE), dry_run=True, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (3, 3)


ROW_CASES = {
    "required": (rows_with(0, 氏=""), (2, "氏", "必須項目が空です。")),
    "bad_date": (
        rows_with(0, 生年月日="昨日"),
        (
            2,
            "生年月日",
            "日付「昨日」を読めません。"
            "YYYY-MM-DD または和暦（例: 令和3年4月1日）で書いてください。",
        ),
    ),
    "impossible_date": (
        rows_with(0, 生年月日="2001-02-30"),
        (2, "生年月日", "日付「2001-02-30」は存在しません。"),
    ),
    "future_date": (
        rows_with(0, 生年月日="2999-01-01"),
        (2, "生年月日", "日付「2999-01-01」が未来です。"),
    ),
    "bad_era": (
        rows_with(2, 生年月日="平成32年1月1日"),
        (4, "生年月日", "和暦「平成32年1月1日」はその元号の期間にありません。"),
    ),
    "before_birth": (
        rows_with(2, 住定日="1990-01-01"),
        (4, "住定日", "住定日「1990-01-01」が生年月日より前です。"),
    ),
    "unknown_district": (rows_with(2, 区="西区"), (4, "区", "区「西区」はありません。")),
    "unknown_kumi": (rows_with(2, 組="99"), (4, "組", "中沢には「99」組はありません。")),
    "bad_postal_code": (
        rows_with(2, 郵便番号="39942"),
        (4, "郵便番号", "郵便番号「39942」は7桁の数字（例: 399-4192）ではありません。"),
    ),
    "bad_kana": (
        rows_with(1, 名フリガナ="さちこ"),
        (3, "名フリガナ", "フリガナ「さちこ」はカタカナで書いてください。"),
    ),
    "bad_sex": (
        rows_with(1, 性別="F"),
        (3, "性別", "性別「F」は 1（男）、2（女）、0（不明）、9（適用不能）のいずれかです。"),
    ),
    "bad_nationality": (
        rows_with(2, 国籍="VNM"),
        (4, "国籍", "国籍「VNM」はISO 3166-1の2文字コード（例: JP, VN）ではありません。"),
    ),
    "bad_language": (
        rows_with(2, 言語="vietnamese"),
        (4, "言語", "言語「vietnamese」はISO 639-1のコード（例: ja, en, pt-BR）ではありません。"),
    ),
    "bad_email": (
        rows_with(0, メールアドレス="kenichi@"),
        (2, "メールアドレス", "メールアドレス「kenichi@」の形式が正しくありません。"),
    ),
    "bad_phone": (
        rows_with(2, 電話番号="12-34"),
        (4, "電話番号", "電話番号「12-34」は数字とハイフンで10桁または11桁にしてください。"),
    ),
    "bad_relationship": (
        rows_with(1, 続柄="叔父"),
        (3, "続柄", "続柄「叔父」は使えません（世帯主、本人、妻、夫、子など）。"),
    ),
    "bad_number": (
        rows_with(1, 宛名番号="A-1"),
        (3, "宛名番号", "「A-1」は12桁までの数字で書いてください。"),
    ),
    "bad_coordinate": (
        rows_with(0, 緯度="north"),
        (2, "緯度", "「north」は緯度・経度として使えません（数値、緯度±90、経度±180）。"),
    ),
    "too_long": (
        rows_with(0, 氏="北" * 61),
        (2, "氏", "「氏」は60文字までです（61文字あります）。"),
    ),
    "duplicate_in_file": (
        rows_with(2, 宛名番号="0000000101"),
        (4, "宛名番号", "宛名番号 0000000101 は2行目にもあります。"),
    ),
    "no_head": (
        rows_with(0, 続柄="子", 生年月日="1999-01-01"),
        (2, "続柄", "世帯 00000101 に世帯主（続柄「世帯主」または「本人」）がいません。"),
    ),
    "two_heads": (
        rows_with(1, 続柄="本人"),
        (3, "続柄", "世帯 00000101 の世帯主は2行目にもいます。世帯主は1人です。"),
    ),
    "inconsistent_relationship": (
        rows_with(1, 続柄="母"),
        (3, "続柄", "続柄「母」が世帯主（2行目）の生年月日と矛盾します。"),
    ),
    "address_mismatch": (
        rows_with(1, 番地="999"),
        (3, "番地", "世帯 00000101 の住所が2行目と異なります（同じ世帯は同じ住所）。"),
    ),
}


@pytest.mark.parametrize("case", ROW_CASES, ids=list(ROW_CASES))
def test_bad_row_is_reported_exactly_and_nothing_is_imported(city, case):
    rows, (line, column, message) = ROW_CASES[case]
    assert errors_of(to_csv(rows)) == [(line, column, case, message)]


def test_every_error_has_an_english_message_too(city):
    result = importers.import_csv(to_csv(rows_with(2, 区="西区")), dry_run=True)
    assert result.errors[0].message_en == "There is no district (区) “西区”."


def test_too_many_and_too_few_fields(city):
    data = to_csv(BASE, extra={0: ["surplus"]})
    assert errors_of(data) == [
        (2, "", "too_many_fields", "項目が多すぎます（見出しは22列、この行は23列）。")
    ]
    short = to_csv(BASE).replace(b",090-1234-5678", b"")
    assert errors_of(short) == [
        (2, "", "too_few_fields", "項目が足りません（見出しは22列、この行は21列）。")
    ]


def test_header_problems(city):
    header = [n for n in layout.NAMES if n != "氏"] + ["個人番号", "名"]
    assert errors_of(to_csv(BASE, header=header)) == [
        (1, "個人番号", "unknown_column", "「個人番号」は定義されていない列です。"),
        (1, "名", "duplicate_column", "列「名」が見出し行に2回以上あります。"),
        (1, "氏", "missing_column", "必須の列「氏」が見出し行にありません。"),
    ]


def test_bad_encodings_are_refused_with_the_line(city):
    utf16 = to_csv(BASE).decode("utf-8").encode("utf-16")
    assert errors_of(utf16)[0][2] == "encoding"
    broken = to_csv(BASE).replace("幸子".encode(), b"\x80\x80")
    assert errors_of(broken) == [
        (
            3,
            "",
            "encoding",
            "文字コードを判別できません（3行目）。UTF-8（BOM付き可）またはCP932（Shift_JIS）で保存してください。",
        )
    ]
    assert errors_of(b"") == [(1, "", "empty_file", "ファイルが空です。1行目は見出し行です。")]


def test_already_registered_resident_and_household(city):
    assert importers.import_csv(to_csv(BASE[:2]), dry_run=False).ok
    again = importers.import_csv(to_csv(BASE), dry_run=False)
    assert [(e.line, e.code) for e in again.errors] == [
        (2, "already_registered"),
        (2, "household_exists"),
        (3, "already_registered"),
    ]
    assert again.errors[0].message_ja == "宛名番号 0000000101 は既に登録されています。"
    assert Resident.objects.count() == 2


def test_export_reimports_unchanged(city):
    assert importers.import_csv(to_csv(BASE), dry_run=False).ok
    for encoding in exporters.ENCODINGS:
        buffer = io.BytesIO()
        assert exporters.write_csv(buffer, encoding) == 3
        exported = list(
            csv.DictReader(
                io.StringIO(
                    buffer.getvalue().decode("utf-8-sig" if encoding == "utf-8" else encoding)
                )
            )
        )
        assert [r["宛名番号"] for r in exported] == ["0000000101", "0000000102", "0000000103"]
        assert exported[2]["生年月日"] == "1998-02-03"
        assert exported[2]["住定日"] == "2020-04-01"
        assert exported[0]["電話番号"] == "090-1234-5678"
    Resident.objects.all().delete()
    Household.objects.all().delete()
    assert importers.import_csv(buffer.getvalue(), dry_run=False).ok


def test_export_refuses_characters_cp932_cannot_hold(city):
    importers.import_csv(to_csv(rows_with(0, 名="𠮷男")), dry_run=False)
    with pytest.raises(exporters.ExportError, match="0000000101"):
        exporters.write_csv(io.BytesIO(), "cp932")


def test_cli_import_shows_progress_and_errors(city, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(to_csv(BASE, encoding="cp932"))
    call_command("import_residents", str(good), "--dry-run")
    out, err = capsys.readouterr()
    assert "would import 3 residents in 2 households" in out
    assert "[##############################] 100%  3/3" in err
    assert Resident.objects.count() == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(to_csv(rows_with(2, 区="西区")))
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_residents", str(bad))
    assert (
        "4\t区\t区「西区」はありません。\tThere is no district (区) “西区”."
        in capsys.readouterr().out
    )
    call_command("import_residents", str(good))
    exported = tmp_path / "out.csv"
    call_command("export_residents", str(exported), "--encoding", "cp932")
    assert "北原" in exported.read_bytes().decode("cp932")


def registry_counts() -> dict[str, int]:
    models = (Address, Household, Resident, ResidenceEvent, ContactPoint)
    return {model.__name__: model.objects.count() for model in models}


def test_written_keys_are_the_ones_the_models_compute(city):
    """The bulk writer fills search keys itself; they must match what a save() would store."""
    rows = rows_with(2, 氏="ｸﾞｴﾝ　", 町字="中沢", 番地="５番地", 建物名等="コーポ中沢　１０１")
    assert importers.import_csv(to_csv(rows), dry_run=False).ok
    for resident in Resident.objects.all():
        stored = (resident.name_key, resident.kana_key, resident.search_key)
        resident.refresh_keys()
        assert stored == (resident.name_key, resident.kana_key, resident.search_key)
    assert Resident.objects.get(number="0000000103").name_key == "グエンvanan"
    for address in Address.objects.all():
        stored = address.search_key
        address.refresh_key()
        assert stored == address.search_key
    assert Address.objects.get(households__number="00000102").search_key == "中沢5-コーポ中沢101"


def test_keys_continue_after_an_import(city, make_household, make_person):
    """Reserved keys move the sequences on: later imports and ordinary saves don't collide."""
    assert importers.import_csv(to_csv(BASE[:2]), dry_run=False).ok
    household = make_household(banchi="1-1")
    services.move_in(make_person(), household=household, relationship="世帯主", on=TODAY)
    third = rows_with(2, 宛名番号="0000000201", 世帯番号="00000201")[2:]
    assert importers.import_csv(to_csv(third), dry_run=False).ok
    later = make_household(banchi="2-2")
    services.move_in(make_person(given="次郎"), household=later, relationship="世帯主", on=TODAY)
    assert registry_counts() == {
        "Address": 4,
        "Household": 4,
        "Resident": 5,
        "ResidenceEvent": 5,
        "ContactPoint": 3,
    }
    for number, head in [("00000101", "0000000101"), ("00000201", "0000000201")]:
        assert Household.objects.get(number=number).head.number == head
    imported = Resident.objects.get(number="0000000201")
    assert imported.household.address.town == "中沢"
    assert ResidenceEvent.objects.get(resident=imported).address == imported.household.address


def test_written_objects_carry_their_keys(city):
    """What the demo generator builds on: model objects equal to the stored rows."""
    written = importers.write_rows(importers.check(to_csv(BASE)).rows)
    assert written.counts() == {"residents": 3, "households": 2}
    for resident in written.residents:
        stored = Resident.objects.get(pk=resident.pk)
        assert (stored.number, stored.household_id) == (resident.number, resident.household_id)
        assert stored.household.address_id == resident.household.address.pk
    for household in written.households:
        assert Household.objects.get(pk=household.pk).head_id == household.head_id


TODAY = dt.date(2024, 4, 1)


@pytest.mark.django_db(transaction=True)
def test_committed_import_is_complete(city):
    """Outside a test transaction: the load commits, and the 世帯主 (set before the
    residents existed) passes the foreign-key check made at commit."""
    assert importers.import_csv(to_csv(BASE), dry_run=False).ok
    assert registry_counts() == {
        "Address": 2,
        "Household": 2,
        "Resident": 3,
        "ResidenceEvent": 3,
        "ContactPoint": 3,
    }
    assert Household.objects.get(number="00000101").head.number == "0000000101"


@pytest.mark.django_db(transaction=True)
def test_database_failure_midway_leaves_nothing_written(city, make_household, make_person):
    """Someone registers 宛名番号 0000000103 between checking and writing: the residents'
    insert fails after addresses and households went in, and all of it is rolled back."""
    checked = importers.check(to_csv(BASE))
    assert not checked.errors
    rival = services.move_in(
        make_person(), household=make_household(), relationship="世帯主", on=TODAY
    )
    Resident.objects.filter(pk=rival.pk).update(number="0000000103")
    before = registry_counts()
    with pytest.raises(IntegrityError):
        importers.write_rows(checked.rows)
    assert registry_counts() == before
    assert not Household.objects.filter(number__in=["00000101", "00000102"]).exists()


@pytest.mark.django_db(transaction=True)
def test_failure_on_the_last_table_rolls_back_the_first(city, monkeypatch):
    insert = bulkwrite.insert

    def failing_on_contacts(model, fields, rows):
        if model is ContactPoint:
            raise RuntimeError("disk full")
        insert(model, fields, rows)

    monkeypatch.setattr(bulkwrite, "insert", failing_on_contacts)
    with pytest.raises(RuntimeError, match="disk full"):
        importers.import_csv(to_csv(BASE), dry_run=False)
    assert registry_counts() == dict.fromkeys(
        ["Address", "Household", "Resident", "ResidenceEvent", "ContactPoint"], 0
    )
