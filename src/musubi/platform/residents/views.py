"""Staff pages of the registry: search, record, household, CSV import and export.

Every page that shows personal data writes an audit record (search: the criteria;
record: READ of that resident) before rendering.
"""

from __future__ import annotations

import io

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from musubi.platform.accounts.decorators import staff_required
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.residents import exporters, services
from musubi.platform.residents.models import District, Household, ImportJob, Resident, Status
from musubi.platform.residents.search import Criteria, search_residents
from musubi.platform.residents.tasks import run_import

PAGE_SIZE = 20
REFRESH_SECONDS = 2
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
PURPOSE = gettext_lazy("住民記録事務")


class SearchForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("氏名またはフリガナ"), required=False, max_length=60)
    birthdate = forms.DateField(
        label=gettext_lazy("生年月日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    district = forms.ModelChoiceField(
        label=gettext_lazy("区"), queryset=District.objects.all(), required=False
    )
    address = forms.CharField(label=gettext_lazy("住所"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=gettext_lazy("状態"),
        required=False,
        choices=[("", gettext_lazy("すべて")), *list(Status.choices)],
    )

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        return Criteria(
            name=data["name"],
            birthdate=data["birthdate"],
            district=data["district"],
            address=data["address"],
            status=data["status"],
        )


@staff_required("residents.view")
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid() and not form.criteria().is_empty():
        criteria = form.criteria()
        record(
            request,
            action=Action.SEARCH,
            subject=Subject("resident", ""),
            what=criteria.describe(),
            purpose=str(PURPOSE),
        )
        page = Paginator(search_residents(criteria), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "residents/search.html",
        {"form": form, "page": page, "query": query.urlencode(), "searched": page is not None},
    )


@staff_required("residents.view")
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = get_object_or_404(
        Resident.objects.select_related("household__address", "household__district"), pk=pk
    )
    record(
        request, action=Action.READ, subject=resident, what="resident record", purpose=str(PURPOSE)
    )
    household = resident.household
    members = household.members.order_by("birthdate") if household else Resident.objects.none()
    return render(
        request,
        "residents/resident.html",
        {
            "resident": resident,
            "household": household,
            "members": members,
            "contacts": resident.contacts.all(),
            "consents": resident.consents.all(),
            "events": services.history(resident),
        },
    )


@staff_required("residents.view")
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(
        Household.objects.select_related("address", "district", "kumi", "head"), pk=pk
    )
    record(
        request,
        action=Action.READ,
        subject=household,
        what="household members",
        purpose=str(PURPOSE),
    )
    return render(
        request,
        "residents/household.html",
        {"household": household, "members": household.members.order_by("birthdate")},
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSVファイル"))
    mode = forms.ChoiceField(
        label=gettext_lazy("実行方法"),
        choices=[
            ("dry_run", gettext_lazy("検査のみ（登録しない）")),
            ("import", gettext_lazy("検査して登録する")),
        ],
        initial="dry_run",
        widget=forms.RadioSelect,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("ファイルが大きすぎます（上限50MB）。"))
        return upload


@staff_required("residents.import")
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = ImportJob.objects.create(
            created_by=request.user,
            filename=upload.name[:200],
            dry_run=form.cleaned_data["mode"] == "dry_run",
            content=upload.read(),
        )
        record(
            request,
            action=Action.IMPORT,
            subject=job,
            what=f"csv upload dry_run={job.dry_run}",
            purpose=str(PURPOSE),
        )
        run_import.enqueue(job.pk)
        return redirect("residents:import_job", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user).defer("content")[:10]
    return render(request, "residents/import.html", {"form": form, "jobs": jobs})


@staff_required("residents.import")
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ImportJob.objects.defer("content"), pk=pk, created_by=request.user)
    template = "residents/_job_status.html" if request.htmx else "residents/import_job.html"
    response = render(request, template, {"job": job})
    if job.running and not request.htmx:
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


class ExportForm(forms.Form):
    encoding = forms.ChoiceField(
        label=gettext_lazy("文字コード"),
        choices=[("utf-8", "UTF-8"), ("cp932", "Shift_JIS (CP932)")],
        initial="utf-8",
    )


@staff_required("residents.export")
def export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        encoding = form.cleaned_data["encoding"]
        buffer = io.BytesIO()
        try:
            count = exporters.write_csv(buffer, encoding)
        except exporters.ExportError as exc:
            form.add_error("encoding", str(exc))
        else:
            record(
                request,
                action=Action.EXPORT,
                subject=Subject("resident", ""),
                what=f"csv export {count} rows {encoding}",
                purpose=str(PURPOSE),
            )
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            response = HttpResponse(buffer.getvalue(), content_type=f"text/csv; charset={encoding}")
            response["Content-Disposition"] = f'attachment; filename="residents-{stamp}.csv"'
            return response
    return render(request, "residents/export.html", {"form": form})
