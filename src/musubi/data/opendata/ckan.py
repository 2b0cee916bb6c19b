"""CKAN Action API v3: the actions, CKAN's field names, CKAN's error types.

Each action takes the request's parameters (already merged from the query string, a form
or a JSON body) and returns the ``result``; a problem is raised as ``ActionError`` carrying
CKAN's ``__type`` and HTTP status, which ``ckan_views`` turns into the envelope.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse

from musubi.data.opendata import reference, search, services
from musubi.data.opendata.errors import CatalogueError
from musubi.data.opendata.models import Dataset, Group, Organization, Resource

CKAN_VERSION = "2.10.4"
MAX_ROWS = 1000


class ActionError(Exception):
    def __init__(self, kind: str, status: int, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.kind, self.status, self.message, self.fields = kind, status, message, fields

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": self.message, **self.fields}


def not_found(what: str) -> ActionError:
    return ActionError("Not Found Error", 404, f"Not found: {what}")


def invalid(field: str, message: str) -> ActionError:
    return ActionError("Validation Error", 409, f"{field}: {message}", **{field: [message]})


# --- parameters -----------------------------------------------------------------------------


def _required(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise invalid(name, "Missing value")
    return str(value)


def _int(params: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(name, "Invalid integer") from None
    if not low <= number <= high:
        raise invalid(name, f"Must be between {low} and {high}")
    return number


def _bool(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def _list(params: dict[str, Any], name: str) -> list[str]:
    value = params.get(name) or []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(name, "Must be a list of strings")
    return value


# --- dictionaries in CKAN's shape -------------------------------------------------------------


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def _iso(moment: Any) -> str:
    return moment.replace(tzinfo=None).isoformat() if moment else ""


def organization_dict(org: Organization, count: int | None = None) -> dict[str, Any]:
    found = {
        "id": str(org.pk),
        "name": org.name,
        "title": org.title,
        "display_name": org.title,
        "description": org.description,
        "title_translated": {"ja": org.title, "en": org.title_en},
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "created": _iso(org.created),
    }
    if count is not None:
        found["package_count"] = count
    return found


def group_dict(group: Group, count: int | None = None) -> dict[str, Any]:
    found = {
        "id": str(group.pk),
        "name": group.name,
        "title": group.title,
        "display_name": group.title,
        "description": group.description,
        "title_translated": {"ja": group.title, "en": group.title_en},
        "type": "group",
        "is_organization": False,
        "state": "active",
        "image_display_url": "",
    }
    if count is not None:
        found["package_count"] = count
    return found


def download_url(request: HttpRequest, resource: Resource) -> str:
    path = reverse(
        "opendata:download", args=[resource.dataset.name, resource.pk, resource.filename]
    )
    return _absolute(request, path)


def resource_dict(request: HttpRequest, resource: Resource) -> dict[str, Any]:
    return {
        "id": str(resource.pk),
        "package_id": str(resource.dataset_id),
        "name": resource.name,
        "description": resource.description,
        "format": resource.format,
        "mimetype": resource.media_type,
        "url": download_url(request, resource),
        "url_type": "" if resource.generator else "upload",
        "size": resource.size,
        "hash": f"sha256:{resource.digest}" if resource.digest else "",
        "last_modified": _iso(resource.last_modified),
        "metadata_modified": _iso(resource.last_modified),
        "created": _iso(resource.created),
        "position": resource.position,
        "state": "active",
        "datastore_active": False,
    }


def package_dict(request: HttpRequest, dataset: Dataset) -> dict[str, Any]:
    licence = reference.licences().get(dataset.licence)
    resources = [resource_dict(request, r) for r in dataset.resources.all()]
    groups = [group_dict(g) for g in dataset.groups.all()]
    page = reverse("opendata:dataset", args=[dataset.name])
    return {
        "id": str(dataset.pk),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.description,
        "title_translated": {"ja": dataset.title, "en": dataset.title_en},
        "notes_translated": {"ja": dataset.description, "en": dataset.description_en},
        "type": "dataset",
        "state": "active",
        "private": not dataset.public,
        "license_id": licence.ckan_id if licence else dataset.licence,
        "license_title": licence.title if licence else dataset.licence,
        "license_url": licence.url if licence else "",
        "metadata_created": _iso(dataset.created),
        "metadata_modified": _iso(dataset.last_updated),
        "owner_org": str(dataset.organization_id),
        "organization": organization_dict(dataset.organization),
        "resources": resources,
        "num_resources": len(resources),
        "tags": [{"name": t, "display_name": t, "state": "active"} for t in dataset.tags],
        "num_tags": len(dataset.tags),
        "groups": groups,
        "url": _absolute(request, page),
        "extras": [
            {"key": "update_frequency", "value": dataset.frequency},
            {"key": "stale", "value": str(services.is_stale(dataset)).lower()},
            {"key": "standard_dataset", "value": dataset.standard_number},
        ],
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


# --- lookups ------------------------------------------------------------------------------


def _visible(request: HttpRequest) -> Any:
    loaded = services.visible_datasets(request.user).select_related("organization")
    return loaded.prefetch_related("resources", "groups")


def _dataset(request: HttpRequest, key: str) -> Dataset:
    match = Q(name=key) | (Q(pk=key) if _is_uuid(key) else Q())
    dataset = Dataset.objects.filter(match).first()
    if dataset is None:
        raise not_found("Dataset")
    if not _visible(request).filter(pk=dataset.pk).exists():
        raise ActionError("Authorization Error", 403, "User not authorized to read package")
    return _visible(request).get(pk=dataset.pk)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _by_name_or_id(model: type, key: str) -> Any:
    found = model.objects.filter(Q(name=key) | (Q(pk=key) if _is_uuid(key) else Q())).first()
    if found is None:
        raise not_found(model._meta.model_name.capitalize())
    return found


# --- the actions --------------------------------------------------------------------------

Action = Callable[[HttpRequest, dict[str, Any]], Any]
ACTIONS: dict[str, Action] = {}


def action(function: Action) -> Action:
    ACTIONS[function.__name__] = function
    return function


@action
def package_list(request: HttpRequest, params: dict[str, Any]) -> list[str]:
    """Names of the public datasets (``limit``, ``offset``)."""
    limit = _int(params, "limit", MAX_ROWS * 100, 0, MAX_ROWS * 100)
    offset = _int(params, "offset", 0, 0, 10**9)
    names = Dataset.objects.filter(public=True).order_by("name").values_list("name", flat=True)
    return list(names[offset : offset + limit])


@action
def package_show(request: HttpRequest, params: dict[str, Any]) -> dict[str, Any]:
    """One dataset by ``id`` (its name or UUID), with its resources."""
    dataset = _dataset(request, _required(params, "id"))
    services.refresh_generated(dataset)
    return package_dict(request, dataset)


def _search_query(params: dict[str, Any]) -> search.Query:
    return search.Query(
        q=str(params.get("q") or ""),
        fq=str(params.get("fq") or ""),
        sort=str(params.get("sort") or search.DEFAULT_SORT),
        start=_int(params, "start", 0, 0, 10**9),
        rows=_int(params, "rows", 10, 0, MAX_ROWS),
        facet_fields=_list(params, "facet.field"),
        facet_limit=_int(params, "facet.limit", 50, -1, 10**6),
    )


def _search_facets(result: search.Result) -> dict[str, Any]:
    facets = {}
    for field, counts in result.facets.items():
        titles = result.titles.get(field, {})
        items = [{"name": v, "display_name": titles.get(v, (v,))[0], "count": n} for v, n in counts]
        facets[field] = {"title": field, "items": items}
    return facets


@action
def package_search(request: HttpRequest, params: dict[str, Any]) -> dict[str, Any]:
    """Search with ``q``, ``fq``, ``rows``, ``start``, ``sort`` and ``facet.field``."""
    query = _search_query(params)
    try:
        result = search.search(query)
    except CatalogueError as error:
        raise ActionError("Search Query Error", 409, f"Search error: {error.messages[0]}") from None
    return {
        "count": result.count,
        "sort": query.sort,
        "results": [package_dict(request, d) for d in result.datasets],
        "facets": {f: dict(counts) for f, counts in result.facets.items()},
        "search_facets": _search_facets(result),
    }


def _counted(model: type, field: str) -> Any:
    return model.objects.annotate(
        count=Count("datasets", filter=Q(datasets__public=True), distinct=True)
    ).order_by(field)


@action
def organization_list(request: HttpRequest, params: dict[str, Any]) -> list[Any]:
    """Organisation names, or whole dictionaries with ``all_fields``."""
    rows = _counted(Organization, "name")
    if _bool(params, "all_fields"):
        return [organization_dict(o, o.count) for o in rows]
    return [o.name for o in rows]


@action
def organization_show(request: HttpRequest, params: dict[str, Any]) -> dict[str, Any]:
    """One organisation; its datasets too with ``include_datasets``."""
    org = _by_name_or_id(Organization, _required(params, "id"))
    datasets = _visible(request).filter(organization=org).order_by("name")
    found = organization_dict(org, datasets.count())
    if _bool(params, "include_datasets"):
        found["packages"] = [package_dict(request, d) for d in datasets]
    return found


@action
def group_list(request: HttpRequest, params: dict[str, Any]) -> list[Any]:
    """Group names, or whole dictionaries with ``all_fields``."""
    rows = _counted(Group, "name")
    if _bool(params, "all_fields"):
        return [group_dict(g, g.count) for g in rows]
    return [g.name for g in rows]


@action
def resource_show(request: HttpRequest, params: dict[str, Any]) -> dict[str, Any]:
    """One resource by ``id``."""
    key = _required(params, "id")
    resource = Resource.objects.filter(pk=key).first() if _is_uuid(key) else None
    if resource is None:
        raise not_found("Resource")
    _dataset(request, str(resource.dataset_id))
    if resource.generator:
        services.content(resource)
    return resource_dict(request, resource)


@action
def tag_list(request: HttpRequest, params: dict[str, Any]) -> list[Any]:
    """Tags of public datasets; ``query`` keeps those containing it, ``all_fields`` gives dicts."""
    wanted = str(params.get("query") or "").lower()
    tags = sorted(
        {
            t
            for tags in Dataset.objects.filter(public=True).values_list("tags", flat=True)
            for t in tags
        }
    )
    tags = [t for t in tags if wanted in t.lower()]
    if _bool(params, "all_fields"):
        return [{"name": t, "display_name": t, "vocabulary_id": None} for t in tags]
    return tags


@action
def status_show(request: HttpRequest, params: dict[str, Any]) -> dict[str, Any]:
    """What this site is; CKAN clients read ``ckan_version`` from here."""
    return {
        "site_title": "Musubi Open Data",
        "site_url": settings.SITE_URL,
        "site_description": "",
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": settings.LANGUAGE_CODE,
        "extensions": ["musubi"],
    }


@action
def help_show(request: HttpRequest, params: dict[str, Any]) -> str:
    """The description of the action ``name``."""
    name = _required(params, "name")
    if name not in ACTIONS:
        raise not_found("Action")
    return ACTIONS[name].__doc__ or ""
