"""Check-ups (検診) API: the public programme, and for a signed-in resident linked to the
register, eligibility with reasons, applying, their applications and booking a session.

Same rules and refusals as the pages (``checkups``): problem+json 422 with the rule's code and
message in the request's language, 409 ``already_taken`` when the session went to someone else.
Creating endpoints honour ``Idempotency-Key``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musubi.citizen.bookings import checkups
from musubi.citizen.bookings.api import BookingSerializer, PersonOnly, refused
from musubi.citizen.bookings.checkup_models import Application, CheckupType, Programme
from musubi.citizen.bookings.errors import BookingError, NotEligible
from musubi.citizen.bookings.models import Channel
from musubi.platform.api.idempotency import idempotent
from musubi.platform.residents import services as residents
from musubi.platform.residents.models import Resident

REFUSALS = {
    409: OpenApiResponse(description="problem+json, code already_taken"),
    422: OpenApiResponse(description="problem+json: a check-up rule refused it"),
}


class CheckupTypeSerializer(serializers.ModelSerializer):
    sites = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CheckupType
        fields = [
            "code", "name_ja", "name_en", "min_age", "max_age", "sex", "interval_years",
            "insurance", "fee_yen", "sites",
        ]  # fmt: skip


class ProgrammeSerializer(serializers.ModelSerializer):
    phase = serializers.SerializerMethodField(help_text=", ".join(checkups.PHASES))
    types = CheckupTypeSerializer(many=True, read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id", "fiscal_year", "phase", "notice_on", "apply_from", "apply_until", "book_from",
            "book_until", "reference_date", "types",
        ]  # fmt: skip

    def get_phase(self, programme: Programme) -> str:
        return checkups.phase(programme)


class CheckupVerdictSerializer(serializers.Serializer):
    code = serializers.CharField(source="checkup.code")
    name = serializers.CharField(source="checkup.name")
    eligible = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class CheckupApplicationSerializer(serializers.ModelSerializer):
    checkup = serializers.CharField(source="checkup.code", read_only=True)
    fiscal_year = serializers.IntegerField(source="checkup.programme.fiscal_year", read_only=True)
    booking = BookingSerializer(read_only=True)

    class Meta:
        model = Application
        fields = [
            "id", "reference", "checkup", "fiscal_year", "channel", "fee_yen",
            "declared_insurance", "created_at", "booking",
        ]  # fmt: skip


class CheckupApplyInput(serializers.Serializer):
    checkups = serializers.ListField(
        child=serializers.SlugField(max_length=30), min_length=1, max_length=20
    )
    declared_insurance = serializers.BooleanField(
        default=False, help_text="I am insured by 国民健康保険 (needed for 特定健診)"
    )


class CheckupSessionInput(serializers.Serializer):
    site = serializers.IntegerField(help_text="id of one of the check-up's sites")
    start = serializers.DateTimeField()


def _programme() -> Programme:
    found = checkups.current_programme()
    if found is None:
        raise Http404(_("検診の案内はまだありません。"))
    return found


def _resident(request: Request) -> Resident:
    """The session user's resident record, or a clear refusal (the rules need the register)."""
    resident = residents.resident_for(request.user)
    if resident is None:
        raise NotEligible(_("検診の申込は市の住民記録と連携したアカウントの市民だけができます。"))
    return resident


@extend_schema(tags=["bookings"])
class ProgrammeList(generics.ListAPIView):
    """Announced check-up programmes with their phase, dates and check-ups (no login needed)."""

    serializer_class = ProgrammeSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_queryset(self) -> QuerySet[Programme]:
        return Programme.objects.filter(notice_on__lte=timezone.localdate()).prefetch_related(
            "types__sites"
        )


@extend_schema(
    tags=["me"], responses={200: CheckupVerdictSerializer(many=True), 422: REFUSALS[422]}
)
class MyEligibility(APIView):
    """Each check-up of the current programme: may I have it, and if not, why."""

    permission_classes = [PersonOnly]

    def get(self, request: Request) -> Response:
        programme = _programme()
        try:
            resident = _resident(request)
        except BookingError as exc:
            return refused(exc)
        verdicts = checkups.verdicts(programme, resident)
        return Response(CheckupVerdictSerializer(verdicts, many=True).data)


class MyApplications(generics.ListAPIView):
    """The session user's check-up applications; POST applies (all or none)."""

    permission_classes = [PersonOnly]
    serializer_class = CheckupApplicationSerializer

    def get_queryset(self) -> QuerySet[Application]:
        return Application.objects.filter(
            resident=residents.resident_for(self.request.user)
        ).select_related("checkup__programme", "booking__resource")

    @extend_schema(tags=["me"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["me"], request=CheckupApplyInput,
        responses={201: CheckupApplicationSerializer(many=True), 422: REFUSALS[422]},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        given = CheckupApplyInput(data=request.data)
        given.is_valid(raise_exception=True)
        ask = checkups.Ask(
            codes=tuple(given.validated_data["checkups"]),
            channel=Channel.WEB,
            declared_insurance=given.validated_data["declared_insurance"],
        )
        programme = _programme()
        try:
            made = checkups.apply(programme, _resident(request), ask, user=request.user)
        except BookingError as exc:
            return refused(exc)
        return Response(CheckupApplicationSerializer(made, many=True).data, status=201)


@extend_schema(
    tags=["me"], request=CheckupSessionInput, responses={201: BookingSerializer, **REFUSALS}
)
class MyApplicationBook(APIView):
    """Book a session at one of the check-up's sites for one of my applications."""

    permission_classes = [PersonOnly]

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        mine = Application.objects.filter(resident=residents.resident_for(request.user))
        application = get_object_or_404(mine.select_related("checkup__programme"), pk=pk)
        given = CheckupSessionInput(data=request.data)
        given.is_valid(raise_exception=True)
        site = application.checkup.sites.filter(pk=given.validated_data["site"]).first()
        if site is None:
            raise serializers.ValidationError({"site": _("この会場ではこの検診を受けられません。")})
        start = given.validated_data["start"]
        try:
            booking = checkups.book(application, site, start, user=request.user)
        except BookingError as exc:
            return refused(exc)
        return Response(BookingSerializer(booking).data, status=201)
