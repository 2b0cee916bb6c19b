"""Dataset search shared by the catalogue pages and CKAN's package_search.

The public catalogue is small (hundreds to a few thousand datasets), so it is held as a
compact in-memory index rebuilt whenever ``catalogue_version`` moves; a search filters,
counts facets and sorts in Python, then loads only the page it returns. The query language
is the part of CKAN's (Solr) syntax clients use: free words, ``field:value`` and
``field:"quoted value"`` terms in ``q`` and ``fq``, ``*:*`` for everything.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock

from django.utils.translation import gettext as _

from musubi.data.opendata import queries
from musubi.data.opendata.errors import CatalogueError
from musubi.data.opendata.models import Dataset

FACETS = ("organization", "tags", "res_format", "groups", "license_id")
FILTERS = (*FACETS, "name", "id")
SORTS = {
    "score": None,
    "name": lambda e: e.name,
    "title_string": lambda e: e.title.lower(),
    "metadata_modified": lambda e: e.modified,
    "metadata_created": lambda e: e.created,
}
DEFAULT_SORT = "score desc, metadata_modified desc"
TERM = re.compile(r"^([a-z_]+):(.+)$")


@dataclass
class Entry:
    """What search needs to know of one public dataset."""

    pk: str
    name: str
    title: str
    text: str
    modified: str
    created: str
    values: dict[str, list[str]]


@dataclass
class Query:
    q: str = ""
    fq: str = ""
    sort: str = DEFAULT_SORT
    start: int = 0
    rows: int = 10
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = 50


@dataclass
class Result:
    count: int
    datasets: list[Dataset]
    facets: dict[str, list[tuple[str, int]]]
    titles: dict[str, dict[str, tuple[str, str]]]


_index: dict[str, object] = {"version": None, "entries": [], "titles": {}}
_lock = Lock()


def _entry(dataset: Dataset) -> Entry:
    values = {
        "organization": [dataset.organization.name],
        "tags": list(dataset.tags),
        "res_format": sorted({r.format for r in dataset.resources.all()}),
        "groups": [g.name for g in dataset.groups.all()],
        "license_id": [dataset.licence],
        "name": [dataset.name],
        "id": [str(dataset.pk)],
    }
    words = [dataset.name, dataset.title, dataset.title_en, dataset.description]
    words += [dataset.description_en, dataset.organization.title, *dataset.tags]
    return Entry(
        pk=str(dataset.pk),
        name=dataset.name,
        title=dataset.title,
        text=" ".join(words).lower(),
        modified=dataset.modified.isoformat(),
        created=dataset.created.isoformat(),
        values=values,
    )


def _build() -> tuple[list[Entry], dict[str, dict[str, tuple[str, str]]]]:
    datasets = Dataset.objects.filter(public=True).select_related("organization")
    datasets = datasets.prefetch_related("resources", "groups")
    entries, titles = [], {"organization": {}, "groups": {}}
    for dataset in datasets:
        entries.append(_entry(dataset))
        org = dataset.organization
        titles["organization"][org.name] = (org.title, org.title_en)
        titles["groups"].update({g.name: (g.title, g.title_en) for g in dataset.groups.all()})
    return entries, titles


def index() -> tuple[list[Entry], dict[str, dict[str, tuple[str, str]]]]:
    """The current index, rebuilt (once, under a lock) when the catalogue has changed."""
    version = queries.catalogue_version()
    with _lock:
        if _index["version"] != version:
            entries, titles = _build()
            _index.update(version=version, entries=entries, titles=titles)
        return _index["entries"], _index["titles"]  # type: ignore[return-value]


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        raise CatalogueError(_("検索条件の引用符が閉じていません。"), code="q") from None


def parse(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Free words and (field, value) terms; an unknown field is an error, not silence."""
    words, terms = [], []
    for token in _split(text):
        if token in ("*:*", "*"):
            continue
        match = TERM.match(token)
        if match is None:
            words.append(token.lower())
            continue
        name, value = match.groups()
        if name not in FILTERS:
            raise CatalogueError(_("検索できない項目です: %(field)s") % {"field": name}, code="fq")
        terms.append((name, value.strip('"')))
    return words, terms


def _score(entry: Entry, words: list[str]) -> int | None:
    if not all(word in entry.text for word in words):
        return None
    return sum(3 if word in entry.title.lower() else 1 for word in words)


def parse_sort(text: str) -> list[tuple[str, bool]]:
    """``"title_string asc, metadata_modified desc"`` → [(field, descending)]."""
    order = []
    for part in filter(None, (p.strip() for p in (text or DEFAULT_SORT).split(","))):
        name, _space, direction = part.partition(" ")
        direction = direction.strip() or "asc"
        if name not in SORTS or direction not in ("asc", "desc"):
            raise CatalogueError(_("並べ替えの指定が正しくありません: %(sort)s") % {"sort": part})
        order.append((name, direction == "desc"))
    return order


def _sort_key(name: str) -> Callable[[tuple[int, Entry]], object]:
    field_of = SORTS[name]
    if field_of is None:
        return lambda pair: pair[0]
    return lambda pair: field_of(pair[1])


def _facets(
    entries: list[Entry], fields: list[str], limit: int
) -> dict[str, list[tuple[str, int]]]:
    counted: dict[str, list[tuple[str, int]]] = {}
    for name in fields:
        counts: dict[str, int] = {}
        for entry in entries:
            for value in entry.values[name]:
                counts[value] = counts.get(value, 0) + 1
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        counted[name] = ranked if limit < 0 else ranked[:limit]
    return counted


def search(query: Query) -> Result:
    """Datasets matching ``query`` (public ones only), one page of them, and facet counts."""
    for name in query.facet_fields:
        if name not in FACETS:
            raise CatalogueError(_("集計できない項目です: %(field)s") % {"field": name})
    order = parse_sort(query.sort)
    words, terms = parse(query.q)
    more_words, more_terms = parse(query.fq)
    words, terms = words + more_words, terms + more_terms
    entries, titles = index()
    found: list[tuple[int, Entry]] = []
    for entry in entries:
        score = _score(entry, words)
        if score is not None and all(v in entry.values[f] for f, v in terms):
            found.append((score, entry))
    for name, descending in reversed(order):
        found.sort(key=_sort_key(name), reverse=descending)
    page = [e.pk for _s, e in found[query.start : query.start + query.rows]]
    loaded = Dataset.objects.select_related("organization").prefetch_related("resources", "groups")
    by_pk = {str(d.pk): d for d in loaded.filter(pk__in=page)}
    return Result(
        count=len(found),
        datasets=[by_pk[pk] for pk in page if pk in by_pk],
        facets=_facets([e for _s, e in found], query.facet_fields, query.facet_limit),
        titles=titles,
    )
