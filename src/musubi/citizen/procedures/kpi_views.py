"""The KPI dashboard of the back office (per procedure: time to the first staff action and
to completion, online share against the counter) and the same table as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from musubi.citizen.procedures import kpi as kpi_figures
from musubi.citizen.procedures.staff_access import departments_of
from musubi.platform.accounts.decorators import staff_required


def _hours(duration: dt.timedelta | None) -> float | None:
    return duration.total_seconds() / 3600 if duration is not None else None


def _percent(share: float | None) -> float | None:
    return round(100 * share, 1) if share is not None else None


def kpi_rows(departments: list[Any]) -> list[dict[str, Any]]:
    """The core KPI (``kpi.procedure_kpis``) of the departments' procedures, as table rows."""
    mine = {d.pk for d in departments}
    return [
        {
            "procedure": str(figures.procedure),
            "count": figures.submitted,
            "online": figures.by_channel.get("online", 0),
            "counter": figures.by_channel.get("counter", 0),
            "online_share": _percent(figures.online_share),
            "first_median": _hours(figures.median_to_first_action),
            "first_p90": _hours(figures.p90_to_first_action),
            "completed": figures.completed,
            "done_median": _hours(figures.median_to_completion),
            "done_p90": _hours(figures.p90_to_completion),
        }
        for figures in kpi_figures.procedure_kpis()
        if figures.procedure.department_id in mine
    ]


KPI_COLUMNS = (
    ("procedure", gettext_lazy("手続")),
    ("count", gettext_lazy("申請件数")),
    ("online", gettext_lazy("オンライン")),
    ("counter", gettext_lazy("窓口")),
    ("online_share", gettext_lazy("オンライン率（%）")),
    ("first_median", gettext_lazy("初回対応まで 中央値（時間）")),
    ("first_p90", gettext_lazy("初回対応まで 90パーセンタイル（時間）")),
    ("completed", gettext_lazy("完了件数")),
    ("done_median", gettext_lazy("完了まで 中央値（時間）")),
    ("done_p90", gettext_lazy("完了まで 90パーセンタイル（時間）")),
)


def _kpi_cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@staff_required("procedures.view")
def kpi(request: HttpRequest) -> HttpResponse:
    rows = kpi_rows(departments_of(request.user))
    table = [[_kpi_cell(row[key]) for key, _label in KPI_COLUMNS] for row in rows]
    context = {"headers": [label for _key, label in KPI_COLUMNS], "table": table}
    return render(request, "procedures/staff/kpi.html", context)


@staff_required("procedures.view")
def kpi_csv(request: HttpRequest) -> HttpResponse:
    """The same table as CSV (UTF-8 with BOM, opens in Excel)."""
    rows = kpi_rows(departments_of(request.user))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(label) for _key, label in KPI_COLUMNS])
    for row in rows:
        writer.writerow([_kpi_cell(row[key]) for key, _label in KPI_COLUMNS])
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="procedures-kpi.csv"'
    return response
