"""Public pages of the open data catalogue: search with facets, a dataset, downloads."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header, http_date
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from musubi.data.opendata import dcat, reference, search, services
from musubi.data.opendata.dcat_views import jsonld
from musubi.data.opendata.errors import CatalogueError
from musubi.data.opendata.models import Dataset, Resource

PAGE_SIZE = 20
FACETS = {"organization": "organization", "tag": "tags", "format": "res_format"}


def _chosen(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "").strip()[:100] for key in FACETS if request.GET.get(key)}


def _filter_query(chosen: dict[str, str]) -> str:
    return " ".join(f'{FACETS[key]}:"{value}"' for key, value in chosen.items())


def _label(titles: tuple[str, str] | None, value: str) -> str:
    """An organisation's or group's title in the page's language (the code if unknown)."""
    if titles is None:
        return value
    return titles[1] if get_language() == "en" and titles[1] else titles[0]


def _facet_links(result: search.Result, chosen: dict[str, str], text: str) -> list[dict]:
    """Each facet with its values, counts and the link that adds (or drops) the value."""
    groups = []
    for key, field in FACETS.items():
        titles = result.titles.get(field, {})
        values = []
        for value, count in result.facets.get(field, []):
            wanted = {**chosen, key: value}
            if chosen.get(key) == value:
                wanted.pop(key)
            link = "?" + urlencode({"q": text, **wanted})
            label = _label(titles.get(value), value)
            on = chosen.get(key) == value
            values.append({"label": label, "count": count, "link": link, "on": on})
        groups.append({"key": key, "values": values})
    return groups


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


def _search(text: str, chosen: dict[str, str], number: int) -> search.Result:
    query = search.Query(
        q=text,
        fq=_filter_query(chosen),
        start=(number - 1) * PAGE_SIZE,
        rows=PAGE_SIZE,
        facet_fields=list(FACETS.values()),
    )
    return search.search(query)


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    """``/opendata/``: free-text search, facets by organisation, tag and format, pages."""
    text, chosen = request.GET.get("q", "").strip()[:200], _chosen(request)
    error = ""
    try:
        result = _search(text, chosen, _page_number(request))
        page = Paginator(range(result.count), PAGE_SIZE).get_page(_page_number(request))
        if page.number != _page_number(request):
            result = _search(text, chosen, page.number)
    except CatalogueError as problem:
        error, result = problem.messages[0], search.Result(0, [], {}, {})
        page = Paginator([], PAGE_SIZE).get_page(1)
    context = {
        "page": page,
        "datasets": result.datasets,
        "text": text,
        "error": error,
        "facets": _facet_links(result, chosen, text),
        "paging_query": urlencode({"q": text, **chosen}),
        "count": result.count,
    }
    return render(request, "opendata/catalogue.html", context)


def _visible(request: HttpRequest, name: str) -> Dataset:
    dataset = services.visible_datasets(request.user).filter(name=name).first()
    if dataset is None:
        raise Http404(name)
    return dataset


@require_GET
def dataset(request: HttpRequest, name: str) -> HttpResponse:
    """A dataset: description, licence, age and staleness, resources with a CSV preview."""
    found = _visible(request, name)
    services.refresh_generated(found)
    resources = list(found.resources.all())
    context = {
        "dataset": found,
        "resources": resources,
        "previews": [(r, services.preview(r)) for r in resources if r.format == "CSV"],
        "licence": reference.licences().get(found.licence),
        "frequency": reference.frequencies().get(found.frequency),
        "age_days": services.age(found).days,
        "stale": services.is_stale(found),
        "can_publish": services.can_publish(request.user, found.organization),
    }
    return render(request, "opendata/dataset.html", context)


@require_GET
def dataset_jsonld(request: HttpRequest, name: str) -> JsonResponse:
    """The dataset in DCAT-AP (JSON-LD)."""
    return jsonld(dcat.dataset_document(request, _visible(request, name)))


@require_GET
def download(request: HttpRequest, name: str, resource_id: str, filename: str) -> HttpResponse:
    """A resource's bytes, generated views regenerated first if their source changed."""
    found = _visible(request, name)
    resource = Resource.objects.filter(dataset=found, pk=resource_id).first()
    if resource is None:
        raise Http404(resource_id)
    data = services.content(resource)
    content_type = resource.media_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, resource.filename)
    response["Last-Modified"] = http_date(resource.last_modified.timestamp())
    return response
