"""CSV export of applications for the core systems (基幹系システム), one form version at a time.

Columns come from ``FormVersion.export_columns``: a list of ``{"header", "path"}``. A path is
a dotted path into ``Application.data`` (``bank_account.bank_code``), a JSON pointer
(``/bank_account/bank_code``), or one of the application's own columns prefixed with ``@``.
A repeating group is named with ``[]`` (``children[].name``) or ``*`` in a pointer
(``/children/*/name``). Nothing of a group is lost, in either layout:

* ``rows``: one row per item (the item *i* of every group on row *i*), the other columns and
  the receipt number repeated;
* ``numbered``: one row per application, the group's columns repeated as ``header_1``,
  ``header_2`` … (or ``{n}`` in the header: ``child_{n}_name``) up to the largest group.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from musubi.citizen.procedures.models import (
    Application,
    FormVersion,
    Procedure,
    Status,
    VersionStatus,
)
from musubi.platform.accounts import services as accounts
from musubi.platform.accounts.decorators import staff_required
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.forms import services as forms

ROWS, NUMBERED = "rows", "numbered"
LAYOUTS = (ROWS, NUMBERED)
ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932"}
EACH = "*"  # a path segment meaning "every item of the group"
_RISKY_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _local(moment: Any) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


OWN_COLUMNS = {
    "receipt_number": lambda app: app.receipt_number or "",
    "status": lambda app: app.status,
    "channel": lambda app: app.channel,
    "procedure": lambda app: app.procedure.code,
    "form_version": lambda app: app.form_version.number,
    "applicant_name": lambda app: app.applicant_name,
    "submitted_at": lambda app: _local(app.submitted_at),
    "completed_at": lambda app: _local(app.completed_at),
    "due_date": lambda app: app.due_date.isoformat() if app.due_date else "",
}


class MappingError(ValueError):
    """The column mapping does not fit the form; ``problems`` says what, per column."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class UnencodableData(ValueError):
    """Some values cannot be written in the chosen encoding (CP932); ``receipts`` lists where."""

    def __init__(self, receipts: list[str]) -> None:
        self.receipts = receipts
        super().__init__(", ".join(receipts))


@dataclass(frozen=True)
class Column:
    """One mapped column: its header and the path split into segments (``*`` = each item)."""

    header: str
    segments: tuple[str, ...]

    @property
    def own(self) -> bool:
        return self.segments[0].startswith("@")

    @property
    def group(self) -> str | None:
        return self.segments[0] if EACH in self.segments else None


# --- the mapping -----------------------------------------------------------------------------


def split_path(path: str) -> tuple[str, ...]:
    """``children[].name`` or ``/children/*/name`` → ``("children", "*", "name")``."""
    path = path.strip()
    if path.startswith("@"):
        return (path,)
    if path.startswith("/"):
        parts = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
        return tuple(EACH if p in ("*", "-") else p for p in parts)
    segments: list[str] = []
    for part in path.split("."):
        if part.endswith("[]"):
            segments += [part[:-2], EACH]
        else:
            segments.append(part)
    return tuple(segments)


def _schema_at(schema: Mapping[str, Any], segments: Iterable[str]) -> Mapping[str, Any] | None:
    """The JSON Schema of the value a path points to, or None if the form has no such value."""
    for segment in segments:
        if segment == EACH:
            if schema.get("type") != "array":
                return None
            schema = schema.get("items", {})
        else:
            schema = schema.get("properties", {}).get(segment)
            if schema is None:
                return None
    return schema


def parse_mapping(raw: Any, definition: Mapping[str, Any]) -> list[dict[str, str]]:
    """Check an uploaded mapping against the form; the stored list, or ``MappingError``.

    Accepts ``{"column": "path", …}`` or ``[{"header", "path"}, …]``.
    """
    if isinstance(raw, Mapping):
        raw = [{"header": k, "path": v} for k, v in raw.items()]
    if not isinstance(raw, list) or not raw:
        raise MappingError([_("列の対応表は、列名とパスの組を1つ以上含むJSONにしてください。")])
    problems: list[str] = []
    seen: set[str] = set()
    for number, entry in enumerate(raw, start=1):
        problems += _entry_problems(number, entry, definition, seen)
    if problems:
        raise MappingError(problems)
    return [{"header": e["header"].strip(), "path": e["path"].strip()} for e in raw]


def _entry_problems(
    number: int, entry: Any, definition: Mapping[str, Any], seen: set[str]
) -> list[str]:
    if not isinstance(entry, Mapping) or not all(
        isinstance(entry.get(k), str) and entry.get(k).strip() for k in ("header", "path")
    ):
        text = _("%(n)d番目：列名（header）とパス（path）を文字列で指定してください。")
        return [text % {"n": number}]
    header, path = entry["header"].strip(), entry["path"].strip()
    problems = []
    if header in seen:
        problems.append(_("列名「%(header)s」が重複しています。") % {"header": header})
    seen.add(header)
    segments = split_path(path)
    if segments[0].startswith("@"):
        if segments[0][1:] not in OWN_COLUMNS:
            problems.append(
                _("列「%(header)s」：「%(path)s」という申請の項目はありません。")
                % {"header": header, "path": path}
            )
    elif segments.count(EACH) > 1 or _schema_at(definition.get("schema", {}), segments) is None:
        problems.append(
            _("列「%(header)s」：パス「%(path)s」は様式にありません。")
            % {"header": header, "path": path}
        )
    return problems


def columns_of(version: FormVersion) -> list[Column]:
    """The version's mapping, or one derived from the form (every field, groups per item)."""
    entries = version.export_columns or default_mapping(version.definition)
    return [Column(e["header"], split_path(e["path"])) for e in entries]


def default_mapping(definition: Mapping[str, Any]) -> list[dict[str, str]]:
    """Receipt number, dates and status, then every field of the form in its order."""
    entries = [
        {"header": _("受付番号"), "path": "@receipt_number"},
        {"header": _("申請日時"), "path": "@submitted_at"},
        {"header": _("状態"), "path": "@status"},
        {"header": _("受付方法"), "path": "@channel"},
    ]
    for item in forms.FormDefinition.from_dict(definition).fields():
        if item.widget == "group":
            entries += [
                {
                    "header": f"{forms.localize(item.label)}・{forms.localize(child.label)}",
                    "path": f"{item.id}[].{child.id}",
                }
                for child in item.fields
            ]
        else:
            entries.append({"header": forms.localize(item.label), "path": item.id})
    return entries


# --- values ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """One cell: names joined by a space, lists by 「;」, booleans as 1/0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict):
        if set(value) <= {"family", "given"}:
            return f"{value.get('family', '')} {value.get('given', '')}".strip()
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, list):
        return ";".join(_text(v) for v in value)
    return str(value)


def safe_cell(text: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): a leading =, +, -, @ gets a quote."""
    if text.startswith(_RISKY_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def _dig(value: Any, segments: Iterable[str]) -> Any:
    for segment in segments:
        if not isinstance(value, dict):
            return None
        value = value.get(segment)
    return value


def _items(data: Mapping[str, Any], group: str) -> list[Any]:
    found = data.get(group)
    return found if isinstance(found, list) else []


def _cell(app: Application, column: Column, index: int | None) -> str:
    if column.own:
        return safe_cell(_text(OWN_COLUMNS[column.segments[0][1:]](app)))
    if column.group is None:
        return safe_cell(_text(_dig(app.data, column.segments)))
    items = _items(app.data, column.group)
    if index is None or index >= len(items):
        return ""
    return safe_cell(_text(_dig(items[index], column.segments[2:])))


# --- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """Header and rows of one export (rows are produced lazily, application by application)."""

    header: list[str]
    applications: Iterable[Application]
    columns: list[Column]
    layout: str
    widths: dict[str, int]

    def rows(self) -> Iterator[list[str]]:
        for app in self.applications:
            if self.layout == NUMBERED:
                yield [cell for column in self.columns for cell in self._numbered(app, column)]
            else:
                yield from self._one_per_item(app)

    def _one_per_item(self, app: Application) -> Iterator[list[str]]:
        groups = {c.group for c in self.columns if c.group}
        count = max([len(_items(app.data, g)) for g in groups] or [1]) or 1
        for index in range(count):
            yield [_cell(app, column, index) for column in self.columns]

    def _numbered(self, app: Application, column: Column) -> list[str]:
        if column.group is None:
            return [_cell(app, column, None)]
        return [_cell(app, column, i) for i in range(self.widths[column.group])]


def applications_to_export(version: FormVersion, statuses: list[str] | None = None):
    """Submitted applications made with ``version``, oldest first (drafts never leave)."""
    found = Application.objects.filter(form_version=version).exclude(status=Status.DRAFT)
    if statuses:
        found = found.filter(status__in=statuses)
    return found.select_related("procedure", "form_version").order_by("submitted_at", "id")


def build_table(version: FormVersion, layout: str, statuses: list[str] | None = None) -> Table:
    """The export of ``version`` in ``layout``; the numbered layout first measures each group."""
    columns = columns_of(version)
    applications = applications_to_export(version, statuses)
    if layout != NUMBERED:
        return Table([c.header for c in columns], applications.iterator(), columns, ROWS, {})
    widths = {c.group: 0 for c in columns if c.group}
    for data in applications.values_list("data", flat=True).iterator():
        for group in widths:
            widths[group] = max(widths[group], len(_items(data, group)))
    header: list[str] = []
    for column in columns:
        if column.group is None:
            header.append(column.header)
        else:
            header += [_numbered_header(column, n) for n in range(1, widths[column.group] + 1)]
    return Table(header, applications.iterator(), columns, NUMBERED, widths)


def _numbered_header(column: Column, n: int) -> str:
    if "{n}" in column.header:
        return column.header.replace("{n}", str(n))
    return f"{column.header}_{n}"


def encoded_lines(table: Table, encoding: str) -> Iterator[bytes]:
    """The CSV line by line in ``encoding``: UTF-8 with a BOM (for Excel) or CP932."""
    codec = ENCODINGS[encoding]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    yield buffer.getvalue().encode(codec)  # utf-8-sig puts the BOM before the header only
    codec = "utf-8" if codec == "utf-8-sig" else codec
    for row in table.rows():
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue().encode(codec)


def unencodable(version: FormVersion, statuses: list[str] | None = None) -> list[str]:
    """Receipt numbers whose data CP932 cannot write (e.g. 𠮷), found before anything is sent."""
    found = []
    rows = applications_to_export(version, statuses).values_list(
        "receipt_number", "data", "applicant_name"
    )
    for receipt, data, name in rows.iterator():
        try:
            json.dumps([data, name], ensure_ascii=False).encode("cp932")
        except UnicodeEncodeError:
            found.append(receipt or "")
    return found


# --- pages -----------------------------------------------------------------------------------


def _procedure_for_export(user: Any, code: str) -> Procedure:
    """The procedure if one of the user's departments may export it, else 404."""
    departments = accounts.departments_granting(user, "procedures.export")
    found = Procedure.objects.filter(code=code, department__in=departments).first()
    if found is None:
        raise Http404
    return found


def _versions(procedure: Procedure) -> list[FormVersion]:
    return list(procedure.versions.exclude(status=VersionStatus.DRAFT).order_by("-number"))


def _version(procedure: Procedure, number: Any) -> FormVersion | None:
    number = str(number or "")
    versions = _versions(procedure)
    if not number:
        return versions[0] if versions else None
    return next((v for v in versions if str(v.number) == number), None)


@staff_required("procedures.export")
def choose(request: HttpRequest) -> HttpResponse:
    departments = accounts.departments_granting(request.user, "procedures.export")
    procedures = Procedure.objects.filter(department__in=departments).order_by("order", "code")
    return render(request, "procedures/staff/export_choose.html", {"procedures": procedures})


def _page(
    request: HttpRequest, procedure: Procedure, status: int = 200, **extra: Any
) -> HttpResponse:
    version = extra.pop("version", None) or _version(procedure, request.GET.get("version"))
    mapping_text = json.dumps(
        version.export_columns or default_mapping(version.definition) if version else [],
        ensure_ascii=False,
        indent=2,
    )
    context = {
        "procedure": procedure,
        "versions": _versions(procedure),
        "version": version,
        "mapping_text": mapping_text,
        "statuses": [s for s in Status if s != Status.DRAFT],
        "layouts": [(ROWS, _("1件の繰り返し項目ごとに1行")), (NUMBERED, _("番号付きの列"))],
        "encodings": [("utf-8", _("UTF-8（BOM付き）")), ("cp932", _("Shift_JIS（CP932）"))],
        **extra,
    }
    return render(request, "procedures/staff/export.html", context, status=status)


@staff_required("procedures.export")
def export_page(request: HttpRequest, code: str) -> HttpResponse:
    return _page(request, _procedure_for_export(request.user, code))


@staff_required("procedures.export")
def download(request: HttpRequest, code: str) -> HttpResponse:
    """Stream the CSV after checking the choices (and, for CP932, that every value fits)."""
    procedure = _procedure_for_export(request.user, code)
    version = _version(procedure, request.GET.get("version"))
    layout, encoding = request.GET.get("layout", ROWS), request.GET.get("encoding", "utf-8")
    statuses = [s for s in request.GET.getlist("status") if s]
    if (
        version is None
        or layout not in LAYOUTS
        or encoding not in ENCODINGS
        or not set(statuses) <= set(Status.values) - {Status.DRAFT}
    ):
        return _page(request, procedure, 400, error=_("出力の条件が正しくありません。"))
    if encoding == "cp932":
        bad = unencodable(version, statuses)
        if bad:
            text = _(
                "Shift_JIS（CP932）で表せない文字を含む申請があります（%(receipts)s）。"
                "UTF-8で出力してください。"
            ) % {"receipts": ", ".join(bad[:20])}
            return _page(request, procedure, 400, error=text, version=version)
    record(
        request,
        action=Action.EXPORT,
        subject=Subject("procedure", procedure.code),
        what=f"applications csv v{version.number} layout={layout} encoding={encoding} "
        f"status={','.join(statuses) or 'all'}",
        purpose=str(_("基幹系システムへの連携")),
    )
    table = build_table(version, layout, statuses)
    response = StreamingHttpResponse(
        encoded_lines(table, encoding),
        content_type=f"text/csv; charset={'Shift_JIS' if encoding == 'cp932' else 'utf-8'}",
    )
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    name = f"{procedure.code}-v{version.number}-{stamp}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@staff_required("procedures.export")
def mapping(request: HttpRequest, code: str) -> HttpResponse:
    """Replace a version's column mapping with an uploaded or pasted JSON, once it checks out."""
    procedure = _procedure_for_export(request.user, code)
    version = _version(procedure, request.POST.get("version"))
    if version is None:
        return _page(request, procedure, 400, error=_("様式の版を選んでください。"))
    text = _mapping_text(request)
    try:
        columns = parse_mapping(json.loads(text), version.definition)
    except json.JSONDecodeError as exc:
        problems = [_("JSONの形式が正しくありません（%(line)d行目）。") % {"line": exc.lineno}]
        return _page(request, procedure, 400, problems=problems, typed=text, version=version)
    except MappingError as exc:
        return _page(request, procedure, 400, problems=exc.problems, typed=text, version=version)
    FormVersion.objects.filter(pk=version.pk).update(export_columns=columns)
    messages.success(request, _("CSV出力の列を保存しました。"))
    return redirect(f"{request.path.rsplit('mapping/', 1)[0]}?version={version.number}")


def _mapping_text(request: HttpRequest) -> str:
    upload = request.FILES.get("file")
    if upload is not None:
        try:
            return upload.read(200_000).decode("utf-8-sig")
        except UnicodeDecodeError:
            return ""
    return request.POST.get("mapping", "")
