"""Registered groups (団体登録) API: a signed-in person registers a group as its representative
(honours ``Idempotency-Key``) and sees their groups with the review (審査中, 承認, 不承認 and
the reason), whether it pays the 市内 rate, and how much of each monthly group quota it uses.

Registration goes through ``groups.register``, as the page does; the group then waits for
staff review (pages, ``bookings.manage``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from musubi.citizen.bookings import groups
from musubi.citizen.bookings.api import PersonOnly
from musubi.citizen.bookings.models import GroupQuotaUse, UserGroup
from musubi.platform.api.idempotency import idempotent


class GroupQuotaUseSerializer(serializers.ModelSerializer):
    resource = serializers.CharField(source="resource.code", read_only=True)

    class Meta:
        model = GroupQuotaUse
        fields = ["resource", "month", "used", "limit"]


class GroupSerializer(serializers.ModelSerializer):
    resident_rate = serializers.SerializerMethodField(
        help_text="Approved with enough members living in the city: the 市内 rate applies"
    )
    quota_use = serializers.SerializerMethodField(
        help_text="Monthly group quotas in use, from this month on"
    )

    class Meta:
        model = UserGroup
        fields = [
            "id", "name", "phone", "member_count", "resident_percent", "status",
            "review_reason", "reviewed_at", "created_at", "resident_rate", "quota_use",
        ]  # fmt: skip

    def get_resident_rate(self, group: UserGroup) -> bool:
        return groups.pays_resident_rate(group)

    @extend_schema_field(GroupQuotaUseSerializer(many=True))
    def get_quota_use(self, group: UserGroup) -> list[dict[str, Any]]:
        return GroupQuotaUseSerializer(groups.quota_use(group), many=True).data


class GroupInput(serializers.ModelSerializer):
    """The same fields and limits as the registration page (``forms.GroupForm``)."""

    class Meta:
        model = UserGroup
        fields = ["name", "phone", "member_count", "resident_percent"]
        extra_kwargs = {
            "member_count": {"min_value": 1},
            "resident_percent": {
                "max_value": 100,
                "help_text": "Share of members living in the city, 0-100 (%)",
            },
        }


class MyGroups(generics.ListAPIView):
    """The groups I represent with their review; POST registers one (honours Idempotency-Key)."""

    permission_classes = [PersonOnly]
    serializer_class = GroupSerializer

    def get_queryset(self) -> QuerySet[UserGroup]:
        return groups.groups_of(self.request.user)

    @extend_schema(tags=["me"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["me"], request=GroupInput, responses={201: GroupSerializer})
    @idempotent
    def post(self, request: Request) -> Response:
        given = GroupInput(data=request.data)
        given.is_valid(raise_exception=True)
        group = groups.register(request.user, **given.validated_data)
        return Response(GroupSerializer(group).data, status=201)
