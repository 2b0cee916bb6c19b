"""API of map layers: layers and their features as GeoJSON for anyone (internal layers only for
``maps.view_internal``), and feature edits by the owning department's tokens or staff.

A feature is written as a GeoJSON Feature; ``properties.name`` (or ``名称``) is its name and
``properties.address`` (or ``住所``) its address, the same shape the API reads back. Every write
passes the importer's geometry checks; a refused one is a problem+json naming ``geometry``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musubi.data.maps import permissions, services
from musubi.data.maps.geometry import GeometryError
from musubi.data.maps.models import LAYER_FIELDS, Feature, Layer
from musubi.platform.accounts import services as accounts
from musubi.platform.api.idempotency import idempotent
from musubi.platform.api.models import ApiToken
from musubi.platform.api.pagination import Pagination
from musubi.platform.api.permissions import require
from musubi.platform.api.problems import problem
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import record

PURPOSE = "maps edit"
NAME_KEYS = ("name", "名称")
ADDRESS_KEYS = ("address", "住所")


# --- who may see and change what ---------------------------------------------------------------


def sees_internal(request: Request) -> bool:
    """Tokens scoped ``maps.view_internal``, and staff granted it after the second factor."""
    if isinstance(request.auth, ApiToken):
        return request.auth.allows(permissions.VIEW_INTERNAL)
    return bool(request.session.get("staff_mfa_passed")) and accounts.has_permission(
        request.user, permissions.VIEW_INTERNAL
    )


def layers_for(request: Request) -> QuerySet[Layer]:
    return Layer.objects.all() if sees_internal(request) else services.public_layers()


def readable_layer(request: Request, code: str) -> Layer:
    """The layer, refused with 401/403 when it is internal and the caller may not see it."""
    layer = get_object_or_404(Layer.objects.select_related("department"), code=code)
    if layer.is_public or sees_internal(request):
        return layer
    if request.auth is None and not request.user.is_authenticated:
        raise NotAuthenticated()
    raise PermissionDenied(_("この地図レイヤーは庁内限定です。"))


def editable_layer(request: Request, layer: Layer) -> Layer:
    """Only the owning department changes a layer: the token's department, or staff's grant."""
    if isinstance(request.auth, ApiToken):
        allowed = request.auth.department_id == layer.department_id
    else:
        allowed = services.can_edit(request.user, layer)
    if not allowed:
        raise PermissionDenied(_("この地図レイヤーを所管する課だけが変更できます。"))
    return layer


# --- serializers -----------------------------------------------------------------------------


class MapLayerSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", read_only=True)
    feature_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Layer
        fields = [*LAYER_FIELDS, "updated_at", "feature_count"]


class MapFeatureSerializer(serializers.Serializer):
    """A GeoJSON Feature as the API returns it (properties include name and address)."""

    type = serializers.CharField(help_text='Always "Feature".')
    id = serializers.IntegerField(read_only=True)
    geometry = serializers.JSONField()
    properties = serializers.DictField()


class MapFeatureCollectionSerializer(serializers.Serializer):
    type = serializers.CharField(help_text='Always "FeatureCollection".')
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    features = MapFeatureSerializer(many=True)


class MapFeatureInput(serializers.Serializer):
    """A feature to write: a GeoJSON Feature in WGS84 (longitude, latitude)."""

    type = serializers.CharField(help_text='"Feature"')
    geometry = serializers.JSONField()
    properties = serializers.DictField(required=False, default=dict)

    def validate_type(self, value: str) -> str:
        if value != "Feature":
            raise serializers.ValidationError(
                _("GeoJSON の Feature（type: Feature）を送ってください。")
            )
        return value

    def validate_properties(self, value: dict[str, Any]) -> dict[str, Any]:
        if not any(str(value.get(key) or "").strip() for key in NAME_KEYS):
            raise serializers.ValidationError(_("properties.name（名称）は必須です。"))
        return value


def _split(properties: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """Attributes, name and address out of a written Feature's properties."""
    rest = dict(properties)
    name = str(rest.pop("name", "") or rest.get("名称", "")).strip()
    address = str(rest.pop("address", "") or rest.get("住所", "")).strip()
    return rest, name, address


class FeaturePagination(Pagination):
    """Pages of a layer as a GeoJSON FeatureCollection with ``count``/``next``/``previous``."""

    def get_paginated_response(self, data: list[dict[str, Any]]) -> Response:
        return Response(
            {
                "type": "FeatureCollection",
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "features": data,
            }
        )


# --- views -----------------------------------------------------------------------------------


@extend_schema(tags=["maps"])
class LayerList(generics.ListAPIView):
    """Map layers: the public ones, and internal ones too for ``maps.view_internal``."""

    serializer_class = MapLayerSerializer
    permission_classes = [AllowAny]

    def get_queryset(self) -> QuerySet[Layer]:
        return services.with_feature_counts(layers_for(self.request))


@extend_schema(tags=["maps"])
class LayerDetail(generics.RetrieveAPIView):
    """One layer's metadata (internal layers need ``maps.view_internal``)."""

    serializer_class = MapLayerSerializer
    permission_classes = [AllowAny]

    def get_object(self) -> Layer:
        layer = readable_layer(self.request, self.kwargs["code"])
        return services.with_feature_counts(Layer.objects.filter(pk=layer.pk)).get()


def _saved(request: Request, layer: Layer, given: dict[str, Any], feature: Feature | None):
    """Write the feature, or answer the geometry problem; audited like the staff pages."""
    attributes, name, address = _split(given.get("properties", {}))
    try:
        saved = services.save_feature(
            layer, given["geometry"], attributes, name=name, address=address, feature=feature
        )
    except GeometryError as exc:
        errors = [{"field": "geometry", "code": "invalid", "message": str(exc)}]
        return None, problem(400, str(exc), title=_("図形に誤りがあります"), errors=errors)
    action = Action.UPDATE if feature else Action.CREATE
    record(request, action=action, subject=saved, what=saved.name, purpose=PURPOSE)
    return saved, None


@extend_schema(tags=["maps"])
class LayerFeatures(generics.ListAPIView):
    """A layer's features as a paginated GeoJSON FeatureCollection; POST adds one."""

    serializer_class = MapFeatureSerializer
    pagination_class = FeaturePagination

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [require(permissions.EDIT)()]
        return [AllowAny()]

    def get_queryset(self) -> QuerySet[Feature]:
        layer = readable_layer(self.request, self.kwargs["code"])
        return layer.features.order_by("id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([services.as_geojson(f) for f in page])

    @extend_schema(responses=MapFeatureCollectionSerializer)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=MapFeatureInput,
        responses={
            201: MapFeatureSerializer,
            400: OpenApiResponse(description="problem+json; `errors` names the field"),
            403: OpenApiResponse(description="problem+json: not the owning department"),
        },
    )
    @idempotent
    def post(self, request: Request, code: str) -> Response:
        layer = editable_layer(request, get_object_or_404(Layer, code=code))
        given = MapFeatureInput(data=request.data)
        given.is_valid(raise_exception=True)
        saved, refusal = _saved(request, layer, given.validated_data, None)
        return refusal or Response(services.as_geojson(saved), status=201)


@extend_schema(tags=["maps"])
class FeatureDetail(APIView):
    """One feature as GeoJSON; PUT replaces it and DELETE removes it (owning department)."""

    def get_permissions(self) -> list[Any]:
        if self.request.method in ("PUT", "DELETE"):
            return [require(permissions.EDIT)()]
        return [AllowAny()]

    def _feature(self, request: Request, pk: int) -> Feature:
        feature = get_object_or_404(Feature.objects.select_related("layer"), pk=pk)
        readable_layer(request, feature.layer.code)
        return feature

    @extend_schema(responses=MapFeatureSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(services.as_geojson(self._feature(request, pk)))

    @extend_schema(
        request=MapFeatureInput,
        responses={
            200: MapFeatureSerializer,
            400: OpenApiResponse(description="problem+json; `errors` names the field"),
        },
    )
    def put(self, request: Request, pk: int) -> Response:
        feature = self._feature(request, pk)
        editable_layer(request, feature.layer)
        given = MapFeatureInput(data=request.data)
        given.is_valid(raise_exception=True)
        saved, refusal = _saved(request, feature.layer, given.validated_data, feature)
        return refusal or Response(services.as_geojson(saved))

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        feature = self._feature(request, pk)
        editable_layer(request, feature.layer)
        record(request, action=Action.DELETE, subject=feature, what=feature.name, purpose=PURPOSE)
        services.delete_feature(feature)
        return Response(status=204)
