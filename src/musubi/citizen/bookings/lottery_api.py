"""Lottery (抽選) and waiting-list (キャンセル待ち) API: the lotteries taking entries and their
published results (public), and for a signed-in person their entries and places in line.

The same service functions as the pages (``lottery.enter``, ``lottery.withdraw``,
``waitlist.join``, ``waitlist.leave``), so the same rules and refusals: problem+json 422 with
the rule's code and message in the request's language. A ``groups_only`` resource's entry or
place must name an approved group of the applicant, as a direct booking must. Entering and
joining honour ``Idempotency-Key``. A win or an offer is taken with
``POST /me/bookings/{id}/confirm/``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musubi.citizen.bookings import lottery, services, waitlist
from musubi.citizen.bookings.api import (
    REFUSALS,
    BookingSerializer,
    PersonOnly,
    group_field,
    refused,
)
from musubi.citizen.bookings.errors import BookingError
from musubi.citizen.bookings.models import LotteryEntry, LotteryWindow, WaitlistEntry
from musubi.platform.api.idempotency import idempotent

# --- serializers -----------------------------------------------------------------------------


class LotteryWindowSerializer(serializers.ModelSerializer):
    resource = serializers.CharField(source="resource.code", read_only=True)

    class Meta:
        model = LotteryWindow
        fields = ["id", "resource", "month", "opens_at", "closes_at", "confirm_days"]


class PublishedEntrySerializer(serializers.Serializer):
    entry = serializers.IntegerField(help_text="The entry's number (no names are published)")
    slot = serializers.CharField(help_text="ISO 8601 in the city's zone, as hashed in the draw")
    won = serializers.BooleanField()


class LotteryStatisticsSerializer(serializers.Serializer):
    entries = serializers.IntegerField()
    slots_entered = serializers.IntegerField()
    entries_per_slot = serializers.DictField(child=serializers.IntegerField())
    winners = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    confirmed_share = serializers.FloatField(allow_null=True)


class LotteryResultsSerializer(serializers.Serializer):
    resource = serializers.CharField()
    month = serializers.CharField(help_text="YYYY-MM")
    entries_open = serializers.DateTimeField()
    entries_close = serializers.DateTimeField()
    drawn_at = serializers.DateTimeField(allow_null=True)
    seed = serializers.CharField(allow_null=True, help_text="Published once drawn")
    capacity = serializers.IntegerField()
    algorithm = serializers.CharField()
    entries = PublishedEntrySerializer(many=True, help_text="Empty until the draw")
    statistics = LotteryStatisticsSerializer()


class LotteryEntrySerializer(serializers.ModelSerializer):
    lottery = serializers.IntegerField(source="window_id", read_only=True)
    resource = serializers.CharField(source="window.resource.code", read_only=True)
    booking = BookingSerializer(
        read_only=True, allow_null=True, help_text="The seat held for a win: confirm it by "
        "payment_due_by (POST /me/bookings/{id}/confirm/ when free, else pay the fee)",
    )  # fmt: skip

    class Meta:
        model = LotteryEntry
        fields = [
            "id", "lottery", "resource", "start", "party_size", "group", "status", "booking",
            "created_at",
        ]  # fmt: skip


class LotteryEntryInput(serializers.Serializer):
    lottery = serializers.PrimaryKeyRelatedField(
        queryset=LotteryWindow.objects.filter(resource__in=services.public_resources()),
        help_text="The lottery's id",
    )
    start = serializers.DateTimeField(help_text="A slot of the lottery's month")
    party_size = serializers.IntegerField(default=1, min_value=1, max_value=1000)
    group = group_field()


class WaitlistEntrySerializer(serializers.ModelSerializer):
    resource = serializers.CharField(source="resource.code", read_only=True)
    place = serializers.SerializerMethodField(help_text="1 = next in line; null once offered")
    booking = BookingSerializer(
        read_only=True, allow_null=True, help_text="The seat held for you once offered"
    )

    class Meta:
        model = WaitlistEntry
        fields = [
            "id", "resource", "start", "party_size", "group", "status", "place", "booking",
            "created_at",
        ]  # fmt: skip

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_place(self, entry: WaitlistEntry) -> int | None:
        return waitlist.place_in_line(entry)


class WaitlistInput(serializers.Serializer):
    resource = serializers.SlugRelatedField(slug_field="code", queryset=services.public_resources())
    start = serializers.DateTimeField(help_text="The start of a full slot")
    party_size = serializers.IntegerField(default=1, min_value=1, max_value=1000)
    group = group_field()


# --- the lottery -----------------------------------------------------------------------------


@extend_schema(tags=["bookings"])
class OpenLotteries(generics.ListAPIView):
    """Lotteries taking entries now (no login needed); their slots are booked by entry only."""

    serializer_class = LotteryWindowSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_queryset(self) -> QuerySet[LotteryWindow]:
        return lottery.open_windows()


@extend_schema(tags=["bookings"], responses=LotteryResultsSerializer)
class LotteryResults(APIView):
    """A lottery's public record: the seed, every entry by number (no names), the winners and
    statistics, enough to re-run the draw (the same as ``/bookings/lottery/{id}/results.json``)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request: Request, pk: int) -> Response:
        window = get_object_or_404(
            LotteryWindow.objects.filter(resource__in=services.public_resources()), pk=pk
        )
        return Response(lottery.results(window))


class MyLotteryEntries(generics.ListAPIView):
    """My lottery entries with their result; POST enters one slot (honours Idempotency-Key)."""

    permission_classes = [PersonOnly]
    serializer_class = LotteryEntrySerializer

    def get_queryset(self) -> QuerySet[LotteryEntry]:
        return lottery.my_entries(self.request.user)

    @extend_schema(tags=["me"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["me"], request=LotteryEntryInput,
        responses={201: LotteryEntrySerializer, 422: REFUSALS[422]},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        given = LotteryEntryInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            entry = lottery.enter(
                data["lottery"], request.user, data["start"], data["party_size"], data["group"]
            )
        except BookingError as exc:
            return refused(exc)
        return Response(LotteryEntrySerializer(entry).data, status=201)


# --- the waiting list ------------------------------------------------------------------------


class MyWaitlist(generics.ListAPIView):
    """My places in waiting lists; POST joins the line of a full slot (Idempotency-Key)."""

    permission_classes = [PersonOnly]
    serializer_class = WaitlistEntrySerializer

    def get_queryset(self) -> QuerySet[WaitlistEntry]:
        return waitlist.my_entries(self.request.user)

    @extend_schema(tags=["me"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["me"], request=WaitlistInput,
        responses={201: WaitlistEntrySerializer, 422: REFUSALS[422]},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        given = WaitlistInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            entry = waitlist.join(
                data["resource"], data["start"], request.user, data["party_size"], data["group"]
            )
        except BookingError as exc:
            return refused(exc)
        return Response(WaitlistEntrySerializer(entry).data, status=201)


@extend_schema(
    tags=["me"], request=None, responses={200: WaitlistEntrySerializer, 422: REFUSALS[422]}
)
class MyWaitlistLeave(APIView):
    """Leave a waiting list; a seat already held for me is given back to the next in line."""

    permission_classes = [PersonOnly]

    def post(self, request: Request, pk: int) -> Response:
        entry = get_object_or_404(WaitlistEntry.objects.filter(user=request.user), pk=pk)
        try:
            left = waitlist.leave(entry, by=request.user)
        except BookingError as exc:
            return refused(exc)
        return Response(WaitlistEntrySerializer(left).data)


@extend_schema(tags=["me"], request=None, responses={204: None, 422: REFUSALS[422]})
class MyLotteryEntryWithdraw(APIView):
    """Withdraw one of my lottery entries while entries are open (nothing is left of it)."""

    permission_classes = [PersonOnly]

    def post(self, request: Request, pk: int) -> Response:
        entry = get_object_or_404(lottery.my_entries(request.user), pk=pk)
        try:
            lottery.withdraw(entry)
        except BookingError as exc:
            return refused(exc)
        return Response(status=204)
