"""The audit browser: filter, read and export the trail (administrators only).

Looking at the trail is itself recorded (search, read, export), so that whoever
watches the watchers can see it too.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from musubi.platform.accounts.decorators import staff_required
from musubi.platform.accounts.services import has_permission
from musubi.platform.audit import services
from musubi.platform.audit.forms import FilterForm
from musubi.platform.audit.models import Action, AuditRecord
from musubi.platform.audit.services import Subject

PAGE_SIZE = 50
CSV_TYPE = "text/csv; charset=utf-8"
TRAIL = Subject("audittrail", "")
CSV_FIELDS = (
    "id",
    "at",
    "actor",
    "actor_id",
    "department",
    "role",
    "client",
    "action",
    "purpose",
    "subject_type",
    "subject_id",
    "what",
    "request_id",
    "digest",
)


@staff_required("audit.view")
def record_list(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    page = None
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        criteria = form.criteria() if form.is_bound else services.Criteria()
        page = Paginator(services.search(criteria), PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)  # read before this search is itself recorded
        services.record(
            request,
            action=Action.SEARCH,
            subject=TRAIL,
            what=_page_note(page.number, criteria),
            purpose="audit review",
        )
        status = 200
    context = {
        "form": form,
        "page": page,
        "query": _query_without_page(request),
        "verification": services.last_verification(),
        "can_export": has_permission(request.user, "audit.export"),
    }
    return render(request, "audit/record_list.html", context, status=status)


def _page_note(number: int, criteria: services.Criteria) -> str:
    return f"page {number}: {criteria.describe()}"


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@staff_required("audit.view")
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(AuditRecord, pk=pk)
    services.record(
        request,
        action=Action.READ,
        subject=Subject("auditrecord", str(row.pk)),
        what="audit record",
        purpose="audit review",
    )
    return render(request, "audit/record_detail.html", {"row": row})


@staff_required("audit.export")
def export_csv(request: HttpRequest) -> HttpResponse:
    """The filtered set as UTF-8 CSV with BOM (opens in Excel), streamed row by row."""
    form = FilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        context = {
            "form": form,
            "page": None,
            "query": "",
            "can_export": True,
            "verification": services.last_verification(),
        }
        return render(request, "audit/record_list.html", context, status=400)
    criteria = form.criteria() if form.is_bound else services.Criteria()
    rows = services.search(criteria)
    services.record(
        request,
        action=Action.EXPORT,
        subject=TRAIL,
        what=f"CSV: {criteria.describe()}",
        purpose="audit review",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    # The header is translated now: the body is produced after the view has returned.
    header = [str(AuditRecord._meta.get_field(name).verbose_name) for name in CSV_FIELDS]
    response = StreamingHttpResponse(
        _csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(header: list[str], rows: QuerySet[AuditRecord]) -> Iterator[bytes]:
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow(header)).encode()
    for row in rows.iterator(chunk_size=2000):
        yield writer.writerow([_cell(row, name) for name in CSV_FIELDS]).encode()


def _cell(row: AuditRecord, name: str) -> str:
    """One value as text; a leading = + - @ is escaped so a spreadsheet never runs a formula."""
    value = getattr(row, name)
    if name == "at":
        value = timezone.localtime(value).isoformat()
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
