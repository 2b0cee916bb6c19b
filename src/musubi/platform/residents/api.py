"""Read-only registry API for authorised clients: residents and households, filtered and paginated.

Every list call is audited as SEARCH (with its filters), every detail call as READ.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError

from musubi.platform.api.permissions import require
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.residents.models import Address, District, Household, Resident, Status
from musubi.platform.residents.search import Criteria, search_residents

PURPOSE = "registry api"


class AddressSerializer(serializers.ModelSerializer):
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kumi = serializers.IntegerField(source="kumi.number", allow_null=True, read_only=True)

    class Meta:
        model = Address
        fields = [
            "postal_code",
            "town",
            "banchi",
            "building",
            "latitude",
            "longitude",
            "district",
            "kumi",
        ]


class ResidentSerializer(serializers.ModelSerializer):
    household = serializers.CharField(source="household.number", allow_null=True, read_only=True)

    class Meta:
        model = Resident
        fields = [
            "id",
            "number",
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "birthdate",
            "sex",
            "nationality",
            "preferred_language",
            "household",
            "relationship",
            "status",
        ]


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = Resident
        fields = [
            "id",
            "number",
            "family_name",
            "given_name",
            "relationship",
            "birthdate",
            "status",
        ]


class HouseholdSerializer(serializers.ModelSerializer):
    address = AddressSerializer(read_only=True)
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)
    head = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Household
        fields = ["id", "number", "district", "address", "head"]


class HouseholdDetailSerializer(HouseholdSerializer):
    members = MemberSerializer(many=True, read_only=True)

    class Meta(HouseholdSerializer.Meta):
        fields = [*HouseholdSerializer.Meta.fields, "members"]


RESIDENT_FILTERS = [
    OpenApiParameter("name", str, description="Part of the name or its kana (width/kana-folded)."),
    OpenApiParameter("district", str, description="区 code, e.g. `minamiwari`."),
    OpenApiParameter("status", str, enum=Status.values, description="Registry status."),
    OpenApiParameter("born_from", OpenApiTypes.DATE, description="Born on or after (YYYY-MM-DD)."),
    OpenApiParameter("born_to", OpenApiTypes.DATE, description="Born on or before (YYYY-MM-DD)."),
]


def _date_param(request, name: str):
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    field = serializers.DateField()
    try:
        return field.to_internal_value(raw)
    except ValidationError:
        raise ValidationError({name: [_("日付は YYYY-MM-DD で指定してください。")]}) from None


def _district_param(request) -> District | None:
    code = request.query_params.get("district", "")
    if not code:
        return None
    district = District.objects.filter(code=code).first()
    if district is None:
        raise ValidationError({"district": [_("その区のコードはありません。")]})
    return district


def _status_param(request) -> str:
    status = request.query_params.get("status", "")
    if status and status not in Status.values:
        raise ValidationError(
            {"status": [_("状態は active, moved_out, deceased のいずれかです。")]}
        )
    return status


class ResidentList(generics.ListAPIView):
    serializer_class = ResidentSerializer
    permission_classes = [require("residents.view")]

    def criteria(self) -> Criteria:
        """All filters, each checked; every bad one is reported at once."""
        request, values, errors = self.request, {}, {}
        readers = {
            "district": lambda: _district_param(request),
            "status": lambda: _status_param(request),
            "born_from": lambda: _date_param(request, "born_from"),
            "born_to": lambda: _date_param(request, "born_to"),
        }
        for name, read in readers.items():
            try:
                values[name] = read()
            except ValidationError as exc:
                errors.update(exc.detail)
        if errors:
            raise ValidationError(errors)
        return Criteria(name=request.query_params.get("name", "")[:60], **values)

    def get_queryset(self):
        criteria = self.criteria()
        record(
            self.request,
            action=Action.SEARCH,
            subject=Subject("resident", ""),
            what=criteria.describe() or "list",
            purpose=PURPOSE,
        )
        return search_residents(criteria)

    @extend_schema(operation_id="residents_list", parameters=RESIDENT_FILTERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ResidentDetail(generics.RetrieveAPIView):
    serializer_class = ResidentSerializer
    permission_classes = [require("residents.view")]
    queryset = Resident.objects.select_related("household")

    def get_object(self) -> Resident:
        resident = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        record(
            self.request,
            action=Action.READ,
            subject=resident,
            what="resident record",
            purpose=PURPOSE,
        )
        return resident

    @extend_schema(operation_id="residents_retrieve")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class HouseholdList(generics.ListAPIView):
    serializer_class = HouseholdSerializer
    permission_classes = [require("residents.view")]

    def get_queryset(self):
        district = _district_param(self.request)
        households = Household.objects.select_related(
            "address__district", "address__kumi", "district"
        ).order_by("number")
        if district is not None:
            households = households.filter(district=district)
        what = f"district={district.code}" if district else "list"
        record(
            self.request,
            action=Action.SEARCH,
            subject=Subject("household", ""),
            what=what,
            purpose=PURPOSE,
        )
        return households

    @extend_schema(
        operation_id="households_list",
        parameters=[OpenApiParameter("district", str, description="区 code.")],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class HouseholdDetail(generics.RetrieveAPIView):
    serializer_class = HouseholdDetailSerializer
    permission_classes = [require("residents.view")]
    queryset = Household.objects.select_related("address__district", "address__kumi", "district")

    def get_object(self) -> Household:
        household = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        record(
            self.request,
            action=Action.READ,
            subject=household,
            what="household members",
            purpose=PURPOSE,
        )
        return household

    @extend_schema(operation_id="households_retrieve")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("residents/", ResidentList.as_view(), name="residents-list"),
    path("residents/<int:pk>/", ResidentDetail.as_view(), name="residents-detail"),
    path("households/", HouseholdList.as_view(), name="households-list"),
    path("households/<int:pk>/", HouseholdDetail.as_view(), name="households-detail"),
]
