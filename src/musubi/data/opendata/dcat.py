"""DCAT-AP as JSON-LD: the catalogue (paged, with hydra links) and one dataset.

The @context is written inline (data/dcat-context.json): a remote context would be fetched
by every consumer and fails offline. Every node uses the mandatory DCAT-AP properties —
title and description for catalogue and dataset, a publisher (foaf:Agent with foaf:name),
an accessURL per distribution — checked in the tests against the project's SHACL shapes.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from musubi.data.opendata import reference
from musubi.data.opendata.ckan import download_url
from musubi.data.opendata.models import Dataset, Organization, Resource
from musubi.platform.residents import services as residents

PAGE_SIZE = 100
FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA_TYPES = "http://www.iana.org/assignments/media-types/"


@lru_cache(maxsize=1)
def context() -> dict[str, str]:
    path = Path(__file__).resolve().parent / "data" / "dcat-context.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _texts(ja: str, en: str) -> list[dict[str, str]]:
    texts = [{"@value": ja, "@language": "ja"}]
    return [*texts, {"@value": en, "@language": "en"}] if en else texts


def _when(moment: Any) -> dict[str, str]:
    return {"@value": moment.isoformat(), "@type": "xsd:dateTime"}


def _ref(iri: str) -> dict[str, str]:
    return {"@id": iri}


def agent_iri(request: HttpRequest, org: Organization) -> str:
    return request.build_absolute_uri(reverse("opendata:catalogue") + "?organization=" + org.name)


def agent(request: HttpRequest, org: Organization) -> dict[str, Any]:
    return {
        "@id": agent_iri(request, org),
        "@type": "foaf:Agent",
        "foaf:name": _texts(org.title, org.title_en),
    }


def _city_agent(request: HttpRequest) -> dict[str, Any]:
    city = residents.load_city()
    return {
        "@id": request.build_absolute_uri("/") + "#municipality",
        "@type": "foaf:Agent",
        "foaf:name": _texts(city["name"], city.get("name_en", "")),
    }


def distribution(request: HttpRequest, resource: Resource) -> dict[str, Any]:
    url = download_url(request, resource)
    licence = reference.licences().get(resource.dataset.licence)
    node = {
        "@id": url,
        "@type": "dcat:Distribution",
        "dct:title": _texts(resource.name, ""),
        "dcat:accessURL": _ref(url),
        "dcat:downloadURL": _ref(url),
        "dcat:mediaType": _ref(MEDIA_TYPES + resource.media_type),
        "dct:format": _ref(FILE_TYPES + resource.format.upper()),
        "dcat:byteSize": {"@value": str(resource.size), "@type": "xsd:decimal"},
        "dct:modified": _when(resource.last_modified),
    }
    if licence:
        node["dct:license"] = _ref(licence.url)
    return node


def dataset_iri(request: HttpRequest, dataset: Dataset) -> str:
    return request.build_absolute_uri(reverse("opendata:dataset", args=[dataset.name]))


def dataset_nodes(request: HttpRequest, dataset: Dataset) -> list[dict[str, Any]]:
    """The dataset, its distributions and its publisher."""
    resources = list(dataset.resources.all())
    frequency = reference.frequencies().get(dataset.frequency)
    node = {
        "@id": dataset_iri(request, dataset),
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.name,
        "dct:title": _texts(dataset.title, dataset.title_en),
        "dct:description": _texts(dataset.description, dataset.description_en),
        "dcat:keyword": [{"@value": t, "@language": "ja"} for t in dataset.tags],
        "dct:publisher": _ref(agent_iri(request, dataset.organization)),
        "dct:issued": _when(dataset.created),
        "dct:modified": _when(dataset.last_updated),
        "dcat:landingPage": _ref(dataset_iri(request, dataset)),
        "dcat:distribution": [_ref(download_url(request, r)) for r in resources],
    }
    if frequency:
        node["dct:accrualPeriodicity"] = _ref(frequency.uri)
    parts = [distribution(request, r) for r in resources]
    return [node, *parts, agent(request, dataset.organization)]


def dataset_document(request: HttpRequest, dataset: Dataset) -> dict[str, Any]:
    return {"@context": context(), "@graph": dataset_nodes(request, dataset)}


def _page_url(request: HttpRequest, page: int) -> str:
    return request.build_absolute_uri(reverse("dcat-catalog") + "?" + urlencode({"page": page}))


def _view(request: HttpRequest, page: int, last: int, total: int) -> dict[str, Any]:
    view = {
        "@id": _page_url(request, page),
        "@type": "hydra:PartialCollectionView",
        "hydra:first": _ref(_page_url(request, 1)),
        "hydra:last": _ref(_page_url(request, last)),
        "hydra:totalItems": {"@value": str(total), "@type": "xsd:integer"},
    }
    if page < last:
        view["hydra:next"] = _ref(_page_url(request, page + 1))
    if page > 1:
        view["hydra:previous"] = _ref(_page_url(request, page - 1))
    return view


def catalog_document(request: HttpRequest, page: int) -> dict[str, Any] | None:
    """One page of the catalogue (None when ``page`` is past the end)."""
    datasets = Dataset.objects.filter(public=True).order_by("name")
    total = datasets.count()
    last = max(1, -(-total // PAGE_SIZE))
    if page > last:
        return None
    chosen = datasets.select_related("organization").prefetch_related("resources")
    chosen = list(chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    city = _city_agent(request)
    catalog = {
        "@id": request.build_absolute_uri(reverse("dcat-catalog")),
        "@type": "dcat:Catalog",
        "dct:title": _texts("オープンデータカタログ", "Open data catalogue"),
        "dct:description": _texts(
            f"{residents.load_city()['name']}のオープンデータ", "Open data of the municipality"
        ),
        "dct:publisher": _ref(city["@id"]),
        "foaf:homepage": _ref(request.build_absolute_uri(reverse("opendata:catalogue"))),
        "dcat:dataset": [_ref(dataset_iri(request, d)) for d in chosen],
        "hydra:view": _view(request, page, last, total),
    }
    graph: list[dict[str, Any]] = [catalog, city]
    seen: set[str] = set()
    for dataset in chosen:
        for node in dataset_nodes(request, dataset):
            if node["@id"] not in seen:
                seen.add(node["@id"])
                graph.append(node)
    return {"@context": context(), "@graph": graph}
