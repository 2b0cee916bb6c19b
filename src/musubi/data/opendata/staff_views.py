"""Staff pages: a department's datasets, creating and editing them, uploading resources.

Every page needs ``opendata.publish``; a dataset is editable only by staff of a department
whose organisation publishes it. Service errors come back as form errors with what was
typed kept, and nothing is written.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from musubi.data.opendata import services
from musubi.data.opendata.errors import CatalogueError
from musubi.data.opendata.forms import DatasetForm, UploadForm
from musubi.data.opendata.models import Dataset
from musubi.data.opendata.permissions import PUBLISH
from musubi.platform.accounts.decorators import staff_required

FIELD_OF_CODE = {"name": "name", "title": "title", "licence": "licence", "frequency": "frequency"}


@staff_required(PUBLISH.code)
def mine(request: HttpRequest) -> HttpResponse:
    """The datasets of the organisations the staff member publishes for."""
    organizations = services.publishable_organizations(request.user)
    datasets = Dataset.objects.filter(organization__in=organizations).select_related("organization")
    rows = [(d, services.is_stale(d)) for d in datasets.order_by("organization__name", "name")]
    return render(request, "opendata/staff/list.html", {"rows": rows})


def _editable(request: HttpRequest, name: str) -> Dataset:
    dataset = Dataset.objects.filter(name=name).select_related("organization").first()
    if dataset is None:
        raise Http404(name)
    if not services.can_publish(request.user, dataset.organization):
        raise PermissionDenied(PUBLISH.code)
    return dataset


def _fields(form: DatasetForm) -> services.DatasetFields:
    data = form.cleaned_data
    return services.DatasetFields(
        name=data["name"],
        title=data["title"],
        title_en=data["title_en"],
        description=data["description"],
        description_en=data["description_en"],
        tags=form.tag_list(),
        licence=data["licence"],
        frequency=data["frequency"],
        public=data["public"],
        groups=list(data["groups"]),
    )


def _save(request: HttpRequest, form: DatasetForm, dataset: Dataset | None) -> Dataset | None:
    """The saved dataset, or None with the service's complaint added to the form."""
    try:
        return services.save_dataset(
            _fields(form), organization=form.cleaned_data["organization"], dataset=dataset
        )
    except CatalogueError as error:
        form.add_error(FIELD_OF_CODE.get(error.code or ""), error.messages[0])
        return None


def _initial(dataset: Dataset) -> dict:
    return {
        "organization": dataset.organization,
        "name": dataset.name,
        "title": dataset.title,
        "title_en": dataset.title_en,
        "description": dataset.description,
        "description_en": dataset.description_en,
        "tags": ", ".join(dataset.tags),
        "licence": dataset.licence,
        "frequency": dataset.frequency,
        "groups": list(dataset.groups.all()),
        "public": dataset.public,
    }


def _edit_page(request: HttpRequest, dataset: Dataset | None) -> HttpResponse:
    organizations = services.publishable_organizations(request.user)
    if request.method == "POST":
        form = DatasetForm(request.POST, organizations=organizations)
        saved = _save(request, form, dataset) if form.is_valid() else None
        if saved is not None:
            messages.success(request, _("データセットを保存しました。"))
            return redirect("opendata:dataset", saved.name)
    else:
        initial = _initial(dataset) if dataset else {}
        form = DatasetForm(initial=initial, organizations=organizations)
    return render(request, "opendata/staff/edit.html", {"form": form, "dataset": dataset})


@staff_required(PUBLISH.code)
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    return _edit_page(request, None)


@staff_required(PUBLISH.code)
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, name: str) -> HttpResponse:
    return _edit_page(request, _editable(request, name))


@staff_required(PUBLISH.code)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, name: str) -> HttpResponse:
    """Add a file to a dataset; a CSV is checked (UTF-8, even rows) before it is published."""
    dataset = _editable(request, name)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            services.add_upload(
                dataset,
                name=form.cleaned_data["name"],
                filename=uploaded.name,
                data=uploaded.read(),
                description=form.cleaned_data["description"],
            )
        except CatalogueError as error:
            form.add_error("file", error.messages[0])
        else:
            messages.success(request, _("リソースを登録しました。"))
            return redirect("opendata:dataset", dataset.name)
    return render(request, "opendata/staff/upload.html", {"form": form, "dataset": dataset})
