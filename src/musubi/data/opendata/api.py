"""Read-only API of the open data catalogue: public datasets and their resources.

The CKAN Action API (``/api/3/action/``) stays the interface for data portals and harvesters;
this is the platform's own ``/api/v1`` view of the same catalogue, in OpenAPI. Generated
resources are brought up to date (a cheap version check) before a dataset is shown.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from musubi.data.opendata import services
from musubi.data.opendata.models import Dataset, Resource


class OpenDatasetSerializer(serializers.ModelSerializer):
    organization = serializers.CharField(source="organization.name", read_only=True)
    groups = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    age_days = serializers.SerializerMethodField()
    stale = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Dataset
        fields = [
            "name",
            "title",
            "title_en",
            "description",
            "description_en",
            "organization",
            "groups",
            "tags",
            "licence",
            "frequency",
            "standard_number",
            "created",
            "last_updated",
            "age_days",
            "stale",
            "url",
        ]

    def get_age_days(self, dataset: Dataset) -> int:
        return services.age(dataset).days

    def get_stale(self, dataset: Dataset) -> bool:
        return services.is_stale(dataset)

    def get_url(self, dataset: Dataset) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("opendata:dataset", args=[dataset.name])
        )


class OpenDataResourceSerializer(serializers.ModelSerializer):
    generated = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Resource
        fields = [
            "id",
            "name",
            "description",
            "format",
            "media_type",
            "filename",
            "size",
            "last_modified",
            "generated",
            "download_url",
        ]

    def get_generated(self, resource: Resource) -> bool:
        return bool(resource.generator)

    def get_download_url(self, resource: Resource) -> str:
        path = reverse(
            "opendata:download", args=[resource.dataset.name, resource.pk, resource.filename]
        )
        return self.context["request"].build_absolute_uri(path)


class OpenDatasetDetailSerializer(OpenDatasetSerializer):
    resources = serializers.SerializerMethodField()

    class Meta(OpenDatasetSerializer.Meta):
        fields = [*OpenDatasetSerializer.Meta.fields, "resources"]

    @extend_schema_field(OpenDataResourceSerializer(many=True))
    def get_resources(self, dataset: Dataset) -> list[dict[str, Any]]:
        resources = dataset.resources.select_related("dataset").order_by("position", "created")
        return OpenDataResourceSerializer(resources, many=True, context=self.context).data


def _public() -> QuerySet[Dataset]:
    return (
        Dataset.objects.filter(public=True)
        .select_related("organization")
        .prefetch_related("groups")
        .order_by("name")
    )


@extend_schema(
    tags=["opendata"],
    parameters=[
        OpenApiParameter("organization", str, description="Organisation (department) code"),
        OpenApiParameter("standard", bool, description="Only 自治体標準オープンデータセット"),
    ],
)
class DatasetList(generics.ListAPIView):
    """Public datasets by name; for full-text search use the CKAN ``package_search`` action."""

    serializer_class = OpenDatasetSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_queryset(self) -> QuerySet[Dataset]:
        params, datasets = self.request.query_params, _public()
        if params.get("organization"):
            datasets = datasets.filter(organization__name=params["organization"])
        if params.get("standard") in ("1", "true"):
            datasets = datasets.exclude(standard_number="")
        return datasets


@extend_schema(tags=["opendata"])
class DatasetDetail(generics.RetrieveAPIView):
    """One public dataset with its resources; generated ones are brought up to date first."""

    serializer_class = OpenDatasetDetailSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []
    lookup_field = "name"

    def get_queryset(self) -> QuerySet[Dataset]:
        return _public()

    def get_object(self) -> Dataset:
        dataset = super().get_object()
        services.refresh_generated(dataset)
        dataset.refresh_from_db(fields=["last_updated"])
        return dataset
