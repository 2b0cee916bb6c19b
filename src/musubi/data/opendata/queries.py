"""Cheap questions about the whole catalogue, shared by search, the generators and the feeds."""

from __future__ import annotations

from django.db.models import Count, Max

from musubi.data.opendata.models import Dataset, Resource


def catalogue_version() -> str:
    """Changes whenever any dataset or resource does: a key for caches of the whole catalogue."""
    datasets = Dataset.objects.aggregate(
        n=Count("id"), changed=Max("modified"), updated=Max("last_updated")
    )
    resources = Resource.objects.aggregate(n=Count("id"), changed=Max("last_modified"))
    return "|".join(str(v) for v in (*datasets.values(), *resources.values()))
