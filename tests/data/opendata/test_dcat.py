"""DCAT-AP JSON-LD: parsed with rdflib (inline context, nothing fetched), valid under the
project's SHACL shapes, paged with hydra links."""

import json
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef, namespace

import musubi.data.opendata
from musubi.data.opendata import dcat

SHAPES = Path(musubi.data.opendata.__file__).parent / "data" / "dcat-ap-shapes.ttl"
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")


def _graph(response) -> Graph:
    assert response["Content-Type"].startswith("application/ld+json")
    document = response.json()
    assert isinstance(document["@context"], dict)  # inline, never a remote URL
    return Graph().parse(data=json.dumps(document), format="json-ld")


def _conforms(graph: Graph) -> tuple[bool, str]:
    shapes = Graph().parse(SHAPES, format="turtle")
    conforms, _report, text = validate(graph, shacl_graph=shapes, inference="none")
    return conforms, text


@pytest.fixture
def catalogue(make_dataset, group):
    make_dataset("aed", csv=b"a\r\n1\r\n", tags=["防災"], title_en="AEDs", groups=[group])
    make_dataset("budget", frequency="annual")
    make_dataset("draft", public=False)


def test_the_catalogue_conforms_to_the_dcat_ap_shapes(client, catalogue):
    graph = _graph(client.get("/catalog.jsonld"))
    conforms, report = _conforms(graph)
    assert conforms, report
    catalog = next(graph.subjects(namespace.RDF.type, namespace.DCAT.Catalog))
    datasets = set(graph.objects(catalog, namespace.DCAT.dataset))
    assert len(datasets) == 2
    aed = URIRef("http://testserver/opendata/dataset/aed/")
    assert aed in datasets
    assert Literal("AEDs", lang="en") in set(graph.objects(aed, namespace.DCTERMS.title))
    distribution = next(graph.objects(aed, namespace.DCAT.distribution))
    assert (distribution, namespace.RDF.type, namespace.DCAT.Distribution) in graph
    assert next(graph.objects(distribution, namespace.DCAT.accessURL)) == distribution
    publisher = next(graph.objects(aed, namespace.DCTERMS.publisher))
    assert str(next(graph.objects(publisher, namespace.FOAF.name))) == "企画振興課"


def test_a_dataset_document_conforms(client, catalogue):
    graph = _graph(client.get("/opendata/dataset/budget.jsonld"))
    conforms, report = _conforms(graph)
    assert conforms, report
    budget = URIRef("http://testserver/opendata/dataset/budget/")
    frequency = next(graph.objects(budget, namespace.DCTERMS.accrualPeriodicity))
    assert str(frequency).endswith("/frequency/ANNUAL")
    assert client.get("/opendata/dataset/draft.jsonld").status_code == 404


def test_the_shapes_catch_a_dataset_without_a_title(client, catalogue):
    graph = _graph(client.get("/opendata/dataset/aed.jsonld"))
    graph.remove((URIRef("http://testserver/opendata/dataset/aed/"), namespace.DCTERMS.title, None))
    conforms, report = _conforms(graph)
    assert not conforms
    assert "MinCountConstraintComponent" in report
    assert "Result Path: dct:title" in report


def test_the_catalogue_is_paged_with_next_links(client, make_dataset, monkeypatch):
    monkeypatch.setattr(dcat, "PAGE_SIZE", 2)
    for name in ("d1", "d2", "d3"):
        make_dataset(name)
    first = _graph(client.get("/catalog.jsonld"))
    view = next(first.subjects(namespace.RDF.type, HYDRA.PartialCollectionView))
    following = str(next(first.objects(view, HYDRA.next)))
    assert following == "http://testserver/catalog.jsonld?page=2"
    assert int(next(first.objects(view, HYDRA.totalItems))) == 3
    second = _graph(client.get(following.removeprefix("http://testserver")))
    assert _conforms(second)[0]
    view = next(second.subjects(namespace.RDF.type, HYDRA.PartialCollectionView))
    assert list(second.objects(view, HYDRA.next)) == []
    catalog = next(second.subjects(namespace.RDF.type, namespace.DCAT.Catalog))
    assert len(set(second.objects(catalog, namespace.DCAT.dataset))) == 1


@pytest.mark.parametrize(("page", "status"), [("0", 400), ("abc", 400), ("9", 404)])
def test_bad_pages_are_refused(client, catalogue, page, status):
    response = client.get("/catalog.jsonld", {"page": page})
    assert response.status_code == status
    assert response.json()["error"]
