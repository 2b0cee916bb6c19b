"""CSV import of the registry: detect the encoding, check every row, then write all or nothing.

Checking is done first, completely, outside any transaction (so progress can be shown);
only a file without a single error is written, in one transaction (``bulkwrite``).
Every problem is reported with its line, column, and a message in Japanese and English.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from django.utils import timezone

from musubi.platform.residents import bulkwrite, codes, layout
from musubi.platform.residents.bulkwrite import Written as Written  # the demo builds on it
from musubi.platform.residents.bulkwrite import write_rows
from musubi.platform.residents.models import (
    Address,
    ContactPoint,
    District,
    Household,
    Kumi,
    Relationship,
    Resident,
)
from musubi.platform.residents.text import is_katakana

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 1000
#: Batch size for the demo generator's own bulk_create calls.
BATCH = 2000

MESSAGES: dict[str, tuple[str, str]] = {
    "internal": (
        "取込の途中で予期しない障害が起きました。何も登録していません。管理者に連絡してください。",
        "The import stopped on an unexpected failure. Nothing was registered. "
        "Please contact the administrator.",
    ),
    "encoding": (
        "文字コードを判別できません（{value}行目）。UTF-8（BOM付き可）またはCP932（Shift_JIS）で保存してください。",
        "The character encoding is not recognised (line {value}). "
        "Save the file as UTF-8 (with or without BOM) or CP932 (Shift_JIS).",
    ),
    "empty_file": (
        "ファイルが空です。1行目は見出し行です。",
        "The file is empty. Line 1 must be the header.",
    ),
    "missing_column": (
        "必須の列「{value}」が見出し行にありません。",
        "The required column “{value}” is missing from the header.",
    ),
    "unknown_column": (
        "「{value}」は定義されていない列です。",
        "“{value}” is not a column of the layout.",
    ),
    "duplicate_column": (
        "列「{value}」が見出し行に2回以上あります。",
        "The column “{value}” appears more than once in the header.",
    ),
    "too_many_fields": (
        "項目が多すぎます（見出しは{expected}列、この行は{value}列）。",
        "Too many fields: the header has {expected} columns, this row has {value}.",
    ),
    "too_few_fields": (
        "項目が足りません（見出しは{expected}列、この行は{value}列）。",
        "Too few fields: the header has {expected} columns, this row has {value}.",
    ),
    "required": ("必須項目が空です。", "This required field is empty."),
    "too_long": (
        "「{value}」は{limit}文字までです（{length}文字あります）。",
        "“{value}” holds at most {limit} characters (this one has {length}).",
    ),
    "bad_number": (
        "「{value}」は12桁までの数字で書いてください。",
        "Write “{value}” as digits only (at most 12).",
    ),
    "bad_date": (
        "日付「{value}」を読めません。YYYY-MM-DD または和暦（例: 令和3年4月1日）で書いてください。",
        "Cannot read the date “{value}”. "
        "Write YYYY-MM-DD or a Japanese era date (e.g. 令和3年4月1日).",
    ),
    "impossible_date": ("日付「{value}」は存在しません。", "The date “{value}” does not exist."),
    "bad_era": (
        "和暦「{value}」はその元号の期間にありません。",
        "The Japanese era date “{value}” is outside that era.",
    ),
    "future_date": ("日付「{value}」が未来です。", "The date “{value}” is in the future."),
    "before_birth": (
        "住定日「{value}」が生年月日より前です。",
        "The residence date “{value}” is before the date of birth.",
    ),
    "bad_relationship": (
        "続柄「{value}」は使えません（世帯主、本人、妻、夫、子など）。",
        "The relationship “{value}” is not allowed (世帯主, 本人, 妻, 夫, 子 …).",
    ),
    "bad_kana": (
        "フリガナ「{value}」はカタカナで書いてください。",
        "Write the furigana “{value}” in katakana.",
    ),
    "bad_sex": (
        "性別「{value}」は 1（男）、2（女）、0（不明）、9（適用不能）のいずれかです。",
        "Sex “{value}” must be 1 (male), 2 (female), 0 (not known) or 9 (not applicable).",
    ),
    "bad_nationality": (
        "国籍「{value}」はISO 3166-1の2文字コード（例: JP, VN）ではありません。",
        "Nationality “{value}” is not an ISO 3166-1 two-letter code (e.g. JP, VN).",
    ),
    "bad_language": (
        "言語「{value}」はISO 639-1のコード（例: ja, en, pt-BR）ではありません。",
        "Language “{value}” is not an ISO 639-1 code (e.g. ja, en, pt-BR).",
    ),
    "bad_postal_code": (
        "郵便番号「{value}」は7桁の数字（例: 399-4192）ではありません。",
        "The postal code “{value}” is not 7 digits (e.g. 399-4192).",
    ),
    "unknown_district": ("区「{value}」はありません。", "There is no district (区) “{value}”."),
    "unknown_kumi": (
        "{district}には「{value}」組はありません。",
        "District {district} has no kumi (組) “{value}”.",
    ),
    "bad_coordinate": (
        "「{value}」は緯度・経度として使えません（数値、緯度±90、経度±180）。",
        "“{value}” is not a usable coordinate (a number, latitude ±90, longitude ±180).",
    ),
    "bad_email": (
        "メールアドレス「{value}」の形式が正しくありません。",
        "The email address “{value}” is not valid.",
    ),
    "bad_phone": (
        "電話番号「{value}」は数字とハイフンで10桁または11桁にしてください。",
        "The phone number “{value}” must be 10 or 11 digits (hyphens allowed).",
    ),
    "duplicate_in_file": (
        "宛名番号 {value} は{first}行目にもあります。",
        "Resident number {value} also appears on line {first}.",
    ),
    "already_registered": (
        "宛名番号 {value} は既に登録されています。",
        "Resident number {value} is already registered.",
    ),
    "household_exists": (
        "世帯番号 {value} は既に登録されています。",
        "Household number {value} is already registered.",
    ),
    "no_head": (
        "世帯 {value} に世帯主（続柄「世帯主」または「本人」）がいません。",
        "Household {value} has no head (relationship 世帯主 or 本人).",
    ),
    "two_heads": (
        "世帯 {value} の世帯主は{first}行目にもいます。世帯主は1人です。",
        "Household {value} already has a head on line {first}; a household has one head.",
    ),
    "inconsistent_relationship": (
        "続柄「{value}」が世帯主（{first}行目）の生年月日と矛盾します。",
        "The relationship “{value}” contradicts the birthdate of the head on line {first}.",
    ),
    "address_mismatch": (
        "世帯 {value} の住所が{first}行目と異なります（同じ世帯は同じ住所）。",
        "Household {value} has a different address from line {first} (one household, one address).",
    ),
}

_DIGITS = re.compile(r"^\d{1,12}$")
_POSTAL = re.compile(r"^\d{3}-?\d{4}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^[\d-]+$")
RELATIONSHIPS = frozenset(Relationship.values)
#: Free-text columns and the longest value their database field holds (longer would fail
#: only when written, as a database error instead of a row-level message).
MAX_LENGTHS = {
    column: model._meta.get_field(name).max_length
    for column, model, name in (
        ("氏", Resident, "family_name"),
        ("名", Resident, "given_name"),
        ("氏フリガナ", Resident, "family_name_kana"),
        ("名フリガナ", Resident, "given_name_kana"),
        ("町字", Address, "town"),
        ("番地", Address, "banchi"),
        ("建物名等", Address, "building"),
        ("メールアドレス", ContactPoint, "value"),
    )
}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    code: str
    message_ja: str
    message_en: str

    def as_dict(self) -> dict[str, str | int]:
        return asdict(self)


def problem(line: int, column: str, code: str, value: object = "", **extra: object) -> RowError:
    ja, en = MESSAGES[code]
    return RowError(
        line, column, code, ja.format(value=value, **extra), en.format(value=value, **extra)
    )


@dataclass
class ResidentRow:
    """One checked row, typed; the demo generator builds these directly."""

    line: int
    number: str
    household_number: str
    relationship: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birthdate: dt.date
    sex: str
    nationality: str
    preferred_language: str
    postal_code: str
    town: str
    banchi: str
    building: str
    district_id: int
    kumi_id: int | None
    latitude: float | None
    longitude: float | None
    resident_since: dt.date | None
    email: str
    phone: str

    def address_key(self) -> tuple:
        return (
            self.postal_code,
            self.town,
            self.banchi,
            self.building,
            self.district_id,
            self.kumi_id,
        )


@dataclass
class Checked:
    rows: list[ResidentRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0


# --- decoding and header ------------------------------------------------------------------

BOM = b"\xef\xbb\xbf"


class FileProblem(ValueError):
    def __init__(self, error: RowError) -> None:
        super().__init__(error.message_en)
        self.error = error


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or CP932; anything else is refused with the line concerned."""
    body = data.removeprefix(BOM)
    if b"\x00" in body:
        raise FileProblem(_encoding_problem(body, body.index(b"\x00")))
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        if data.startswith(BOM):
            raise FileProblem(_encoding_problem(body, utf8_error.start)) from None
        try:
            return body.decode("cp932")
        except UnicodeDecodeError as cp932_error:
            looks_utf8 = any(byte >= 0x80 for byte in body[: utf8_error.start])
            position = utf8_error.start if looks_utf8 else cp932_error.start
            raise FileProblem(_encoding_problem(body, position)) from None


def _encoding_problem(body: bytes, position: int) -> RowError:
    line = body[:position].count(b"\n") + 1
    return problem(line, "", "encoding", line)


def _header(names: list[str]) -> list[RowError]:
    errors = []
    seen: set[str] = set()
    for name in names:
        if name not in layout.NAMES:
            errors.append(problem(1, name, "unknown_column", name))
        elif name in seen:
            errors.append(problem(1, name, "duplicate_column", name))
        seen.add(name)
    errors += [problem(1, c, "missing_column", c) for c in layout.REQUIRED if c not in seen]
    return errors


# --- one row --------------------------------------------------------------------------------


class Lookups:
    """Everything a row is checked against, loaded once per file (no query per row)."""

    def __init__(self) -> None:
        self.districts = dict(District.objects.values_list("name", "pk"))
        self.district_names = {pk: name for name, pk in self.districts.items()}
        self.kumi = {
            (d, str(n)): pk for pk, d, n in Kumi.objects.values_list("pk", "district", "number")
        }
        self.residents = set(Resident.objects.values_list("number", flat=True))
        self.households = set(Household.objects.values_list("number", flat=True))
        self.today = timezone.localdate()


class RowReader:
    """Turns one CSV record into a ResidentRow, or collects what is wrong with it."""

    def __init__(self, line: int, values: dict[str, str], lookups: Lookups) -> None:
        self.line = line
        self.values = values
        self.lookups = lookups
        self.errors: list[RowError] = []

    def fail(self, column: str, code: str, value: object = "", **extra: object) -> None:
        self.errors.append(problem(self.line, column, code, value, **extra))

    def text(self, column: str) -> str:
        value = self.values.get(column, "").strip()
        if not value and column in layout.REQUIRED:
            self.fail(column, "required")
        limit = MAX_LENGTHS.get(column)
        if limit and len(value) > limit:
            self.fail(column, "too_long", column, limit=limit, length=len(value))
        return value

    def number(self, column: str) -> str:
        value = self.text(column)
        if value and not _DIGITS.match(value):
            self.fail(column, "bad_number", value)
        return value

    def date(self, column: str) -> dt.date | None:
        value = self.text(column)
        if not value:
            return None
        try:
            day = layout.parse_date(value)
        except layout.DateProblem as exc:
            self.fail(column, exc.code, value)
            return None
        if day > self.lookups.today:
            self.fail(column, "future_date", value)
        return day

    def kana(self, column: str) -> str:
        value = self.text(column)
        if value and not is_katakana(value):
            self.fail(column, "bad_kana", value)
        return value

    def coded(self, column: str, valid: Callable[[str], bool], code: str, default: str = "") -> str:
        value = self.text(column) or default
        if value and not valid(value):
            self.fail(column, code, value)
        return value

    def coordinate(self, column: str, limit: float) -> float | None:
        value = self.text(column)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is None or not -limit <= number <= limit:
            self.fail(column, "bad_coordinate", value)
            return None
        return number

    def relationship(self) -> str:
        value = self.text("続柄")
        if value in layout.HEAD_WORDS:
            return Relationship.HEAD
        if value and value not in RELATIONSHIPS:
            self.fail("続柄", "bad_relationship", value)
        return value

    def district(self) -> tuple[int | None, int | None]:
        name = self.text("区")
        district_id = self.lookups.districts.get(name)
        if name and district_id is None:
            self.fail("区", "unknown_district", name)
        kumi = self.text("組")
        if not kumi or district_id is None:
            return district_id, None
        number = kumi.removesuffix("組")
        key = str(int(number)) if number.isdigit() else number
        kumi_id = self.lookups.kumi.get((district_id, key))
        if kumi_id is None:
            self.fail("組", "unknown_kumi", kumi, district=name)
        return district_id, kumi_id

    def postal_code(self) -> str:
        value = self.text("郵便番号")
        if value and not _POSTAL.match(value):
            self.fail("郵便番号", "bad_postal_code", value)
            return value
        digits = value.replace("-", "")
        return f"{digits[:3]}-{digits[3:]}" if value else value

    def email(self) -> str:
        value = self.text("メールアドレス")
        if value and not _EMAIL.match(value):
            self.fail("メールアドレス", "bad_email", value)
        return value

    def phone(self) -> str:
        value = self.text("電話番号")
        if value and not (_PHONE.match(value) and len(value.replace("-", "")) in (10, 11)):
            self.fail("電話番号", "bad_phone", value)
        return value

    def read(self) -> ResidentRow | None:
        birthdate = self.date("生年月日")
        since = self.date("住定日")
        if birthdate and since and since < birthdate:
            self.fail("住定日", "before_birth", self.values.get("住定日", ""))
        district_id, kumi_id = self.district()
        row = ResidentRow(
            line=self.line,
            number=self.number("宛名番号"),
            household_number=self.number("世帯番号"),
            relationship=self.relationship(),
            family_name=self.text("氏"),
            given_name=self.text("名"),
            family_name_kana=self.kana("氏フリガナ"),
            given_name_kana=self.kana("名フリガナ"),
            birthdate=birthdate,
            sex=self.coded("性別", lambda v: v in {"0", "1", "2", "9"}, "bad_sex"),
            nationality=self.coded("国籍", codes.is_country, "bad_nationality"),
            preferred_language=self.coded("言語", codes.is_language, "bad_language", "ja"),
            postal_code=self.postal_code(),
            town=self.text("町字"),
            banchi=self.text("番地"),
            building=self.text("建物名等"),
            district_id=district_id,
            kumi_id=kumi_id,
            latitude=self.coordinate("緯度", 90),
            longitude=self.coordinate("経度", 180),
            resident_since=since,
            email=self.email(),
            phone=self.phone(),
        )
        return None if self.errors else row


# --- across rows ----------------------------------------------------------------------------


def _check_numbers(rows: Iterable[ResidentRow], lookups: Lookups) -> list[RowError]:
    errors, first_line = [], {}
    for row in rows:
        if row.number in first_line:
            errors.append(
                problem(
                    row.line,
                    "宛名番号",
                    "duplicate_in_file",
                    row.number,
                    first=first_line[row.number],
                )
            )
        elif row.number in lookups.residents:
            errors.append(problem(row.line, "宛名番号", "already_registered", row.number))
        first_line.setdefault(row.number, row.line)
    return errors


def _check_households(rows: list[ResidentRow], lookups: Lookups) -> list[RowError]:
    errors = []
    for number, members in bulkwrite.by_household(rows).items():
        if number in lookups.households:
            errors.append(problem(members[0].line, "世帯番号", "household_exists", number))
        errors += _check_heads(number, members)
        errors += _check_addresses(number, members)
    return errors


def _check_heads(number: str, members: list[ResidentRow]) -> list[RowError]:
    heads = [m for m in members if m.relationship == Relationship.HEAD]
    if not heads:
        return [problem(members[0].line, "続柄", "no_head", number)]
    head = heads[0]
    errors = [problem(m.line, "続柄", "two_heads", number, first=head.line) for m in heads[1:]]
    for member in members:
        younger = member.relationship in layout.YOUNGER_THAN_HEAD
        older = member.relationship in layout.OLDER_THAN_HEAD
        if (younger and member.birthdate <= head.birthdate) or (
            older and member.birthdate >= head.birthdate
        ):
            errors.append(
                problem(
                    member.line,
                    "続柄",
                    "inconsistent_relationship",
                    member.relationship,
                    first=head.line,
                )
            )
    return errors


def _check_addresses(number: str, members: list[ResidentRow]) -> list[RowError]:
    first = members[0].address_key()
    errors = []
    for member in members[1:]:
        differing = [
            c
            for c, a, b in zip(layout.ADDRESS_COLUMNS, member.address_key(), first, strict=True)
            if a != b
        ]
        if differing:
            errors.append(
                problem(
                    member.line, differing[0], "address_mismatch", number, first=members[0].line
                )
            )
    return errors


# --- the whole file -------------------------------------------------------------------------


def check(data: bytes, progress: Progress | None = None) -> Checked:
    """Read and check every row; nothing is written."""
    try:
        text = decode(data)
    except FileProblem as exc:
        return Checked(errors=[exc.error])
    records = _records(text)
    if not records:
        return Checked(errors=[problem(1, "", "empty_file")])
    header = [name.strip() for name in records[0][1]]
    result = Checked(errors=_header(header), total=len(records) - 1)
    if result.errors:
        return result
    _check_rows(records[1:], header, result, progress)
    return result


def _records(text: str) -> list[tuple[int, list[str]]]:
    """The non-blank CSV records with the line each ends on (what errors point at)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    return [(reader.line_num, fields) for fields in reader if "".join(fields).strip()]


def _check_rows(
    records: list[tuple[int, list[str]]],
    header: list[str],
    result: Checked,
    progress: Progress | None,
) -> None:
    lookups = Lookups()
    for done, (line, fields) in enumerate(records, start=1):
        if len(fields) != len(header):
            code = "too_many_fields" if len(fields) > len(header) else "too_few_fields"
            result.errors.append(problem(line, "", code, len(fields), expected=len(header)))
        else:
            row_reader = RowReader(line, dict(zip(header, fields, strict=True)), lookups)
            row = row_reader.read()
            result.errors += row_reader.errors
            if row is not None:
                result.rows.append(row)
        if progress and done % PROGRESS_EVERY == 0:
            progress(done, result.total)
    rows_readable = not result.errors
    result.errors += _check_numbers(result.rows, lookups)
    if rows_readable:
        result.errors += _check_households(result.rows, lookups)
    result.errors.sort(key=lambda e: e.line)
    if progress:
        progress(result.total, result.total)


@dataclass
class ImportResult:
    total: int
    errors: list[RowError]
    counts: dict[str, int]
    dry_run: bool

    @property
    def ok(self) -> bool:
        return not self.errors


def import_csv(data: bytes, *, dry_run: bool, progress: Progress | None = None) -> ImportResult:
    """Check ``data``; unless ``dry_run`` or any row is wrong, write every row in one go."""
    checked = check(data, progress)
    counts = {
        "residents": len(checked.rows),
        "households": len({r.household_number for r in checked.rows}),
    }
    if not checked.errors and not dry_run:
        counts = write_rows(checked.rows).counts()
    return ImportResult(checked.total, checked.errors, counts, dry_run)
