"""Bookings API: public resources and availability, a resident's own bookings, and the
staff's calendar and bookings on behalf of callers.

Refusals are problem+json: 409 ``already_taken`` when the seat went to someone else, 422
with a field-level ``errors`` entry for every other rule (closed day, quota, eligibility…).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musubi.citizen.bookings import billing, permissions, services, slots
from musubi.citizen.bookings.errors import BookingError, SlotTaken
from musubi.citizen.bookings.models import Booking, Channel, Resource, UserGroup
from musubi.platform.api.idempotency import idempotent
from musubi.platform.api.models import ApiToken
from musubi.platform.api.permissions import require
from musubi.platform.api.problems import problem
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.payments.errors import PaymentError

MAX_RANGE_DAYS = 62
PURPOSE = "施設・窓口予約の管理"


# --- serializers -----------------------------------------------------------------------------


class ResourceSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", read_only=True)

    class Meta:
        model = Resource
        fields = [
            "id",
            "code",
            "kind",
            "name_ja",
            "name_en",
            "department",
            "capacity",
            "max_party",
            "slot_minutes",
            "hours",
            "open_on_holidays",
            "min_notice_hours",
            "max_advance_days",
            "monthly_quota",
            "fee_resident_yen",
            "fee_nonresident_yen",
            "residents_only",
            "groups_only",
            "registration_required",
            "monthly_group_quota",
            "synthetic",
        ]


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    free = serializers.IntegerField()


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    closed = serializers.CharField(
        source="closed_reason", help_text="'' when open; closed, holiday or weekday"
    )
    slots = SlotSerializer(many=True)


class BookingSerializer(serializers.ModelSerializer):
    resource = serializers.CharField(source="resource.code", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "reference",
            "resource",
            "start",
            "end",
            "party_size",
            "group",
            "status",
            "channel",
            "fee_category",
            "exemption",
            "fee_yen",
            "payment_due_by",
            "paid_at",
            "created_at",
            "cancelled_at",
        ]


class StaffBookingSerializer(BookingSerializer):
    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "seat", "holder_name", "holder_phone", "purpose"]


class BookingInput(serializers.Serializer):
    resource = serializers.SlugRelatedField(
        slug_field="code", queryset=Resource.objects.filter(active=True)
    )
    start = serializers.DateTimeField()
    party_size = serializers.IntegerField(default=1, min_value=1, max_value=1000)
    purpose = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


def group_field(help_text: str = "A registered group the user represents (it must be approved)"):
    """The optional ``group`` of a request: any group's id parses, and the booking rules then
    refuse one that is not approved or not the user's, with the reason (422, not 400)."""
    return serializers.PrimaryKeyRelatedField(
        queryset=UserGroup.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=help_text,
    )


class MyBookingInput(BookingInput):
    group = group_field()


class OnBehalfInput(BookingInput):
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="phone or counter")
    holder_name = serializers.CharField(max_length=120)
    holder_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    exemption = serializers.ChoiceField(
        choices=sorted(services.exemptions()), required=False, allow_blank=True, default=""
    )
    group = group_field("An approved group whose representative is the caller")

    def validate_channel(self, value: str) -> str:
        if value == Channel.WEB:
            raise serializers.ValidationError(_("代理予約の受付経路は電話か窓口です。"))
        return value


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class RescheduleInput(serializers.Serializer):
    start = serializers.DateTimeField(help_text="The start of the free slot to move to")


REFUSALS = {
    409: OpenApiResponse(description="problem+json, code already_taken"),
    422: OpenApiResponse(description="problem+json: a booking rule refused it"),
}


def refused(exc: BookingError) -> Response:
    """A rule's refusal as problem+json; with ``link`` when a page helps (e.g. 利用者登録)."""
    status = 409 if isinstance(exc, SlotTaken) else 422
    error = {"field": exc.field, "code": exc.code, "message": exc.message}
    if exc.link:
        error["link"] = settings.SITE_URL.rstrip("/") + exc.link
    errors = [error]
    return problem(status, exc.message, title=_("予約できません"), code=exc.code, errors=errors)


# --- public availability ---------------------------------------------------------------------


@extend_schema(tags=["bookings"])
class ResourceList(generics.ListAPIView):
    """Bookable rooms, counter services and check-up sites (no login needed)."""

    serializer_class = ResourceSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_queryset(self) -> QuerySet[Resource]:
        return services.public_resources()


def _date_param(request: Request, name: str, default: dt.date) -> dt.date:
    raw = request.query_params.get(name)
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise serializers.ValidationError(
            {name: _("日付は YYYY-MM-DD の形で指定してください。")}
        ) from None


@extend_schema(
    tags=["bookings"],
    parameters=[
        OpenApiParameter("from", dt.date, description="First day (default: today, Tokyo)"),
        OpenApiParameter("to", dt.date, description="Last day (default: from + 6 days)"),
    ],
    responses=DaySerializer(many=True),
)
class ResourceAvailability(APIView):
    """Each day's slots with the seats left (no login needed; at most 62 days at a time)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request: Request, pk: int) -> Response:
        resource = get_object_or_404(services.public_resources(), pk=pk)
        today = timezone.localdate()
        first = _date_param(request, "from", today)
        last = _date_param(request, "to", first + dt.timedelta(days=6))
        if last < first or (last - first).days >= MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"to": _("期間は from 以降、%(days)s 日以内にしてください。") % {"days": 62}}
            )
        services.count_view(resource, today)
        return Response(DaySerializer(slots.days(resource, first, last), many=True).data)


# --- the resident's own bookings -------------------------------------------------------------


class PersonOnly(IsAuthenticated):
    """A signed-in person's session (machine tokens book for no one)."""

    def has_permission(self, request, view) -> bool:
        return not isinstance(request.auth, ApiToken) and super().has_permission(request, view)


class MyBookings(generics.ListAPIView):
    """The session user's bookings; POST books a slot (honours Idempotency-Key)."""

    permission_classes = [PersonOnly]
    serializer_class = BookingSerializer

    def get_queryset(self) -> QuerySet[Booking]:
        return services.my_bookings(self.request.user)

    @extend_schema(tags=["me"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["me"],
        request=MyBookingInput,
        responses={201: BookingSerializer, **REFUSALS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        given = MyBookingInput(data=request.data)
        given.is_valid(raise_exception=True)
        ask = services.Request(channel=Channel.WEB, **given.validated_data)
        try:
            booking = services.book(ask, user=request.user)
        except BookingError as exc:
            return refused(exc)
        return Response(BookingSerializer(booking).data, status=201)


@extend_schema(tags=["me"], request=CancelInput, responses=BookingSerializer)
class MyBookingCancel(APIView):
    """Cancel one of the session user's bookings before it starts."""

    permission_classes = [PersonOnly]

    def post(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(services.my_bookings(request.user), pk=pk)
        given = CancelInput(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            services.cancel(booking, by=request.user, reason=given.validated_data["reason"])
        except BookingError as exc:
            return refused(exc)
        return Response(BookingSerializer(booking).data)


@extend_schema(tags=["me"], request=RescheduleInput, responses={201: BookingSerializer, **REFUSALS})
class MyBookingReschedule(APIView):
    """Move one of my free bookings (a counter appointment) to another free slot in one step:
    the answer is the new booking; when the new slot is taken (409) or refused (422) the old
    booking is kept as it was. Honours Idempotency-Key (a retry must not move it twice)."""

    permission_classes = [PersonOnly]

    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(services.my_bookings(request.user), pk=pk)
        given = RescheduleInput(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            moved = services.reschedule(booking, given.validated_data["start"], by=request.user)
        except BookingError as exc:
            return refused(exc)
        return Response(BookingSerializer(moved).data, status=201)


@extend_schema(tags=["me"], request=None, responses={200: BookingSerializer, 422: REFUSALS[422]})
class MyBookingConfirm(APIView):
    """Take a seat held for me, free of charge, before its deadline (``payment_due_by``): a
    lottery win or a waiting-list offer. A held seat with a fee is confirmed by paying it."""

    permission_classes = [PersonOnly]

    def post(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(services.my_bookings(request.user), pk=pk)
        try:
            confirmed = services.confirm_hold(booking)
        except BookingError as exc:
            return refused(exc)
        return Response(BookingSerializer(confirmed).data)


class PaymentPage(serializers.Serializer):
    url = serializers.URLField(help_text="The payment provider's page; send the payer there.")


@extend_schema(tags=["me"], request=None, responses={200: PaymentPage, 422: REFUSALS[422]})
class MyBookingPayment(APIView):
    """Start paying a provisional booking's fee: the answer is the provider's page. The
    provider's signed webhook then confirms the booking; the page can be asked for again (the
    same open payment is reused, so asking twice never charges twice)."""

    permission_classes = [PersonOnly]

    def post(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(services.my_bookings(request.user), pk=pk)
        try:
            url = billing.start_paying(booking)
        except BookingError as exc:
            return refused(exc)
        except PaymentError as exc:
            return problem(422, exc.message, title=_("支払いを始められません"), code="payment")
        return Response({"url": url})


# --- staff -----------------------------------------------------------------------------------


@extend_schema(
    tags=["bookings"],
    parameters=[OpenApiParameter("date", dt.date, description="Day (default: today, Tokyo)")],
)
class StaffBookings(generics.ListAPIView):
    """One day's bookings of every resource, with holders; POST books for a caller."""

    permission_classes = [require(permissions.MANAGE)]
    serializer_class = StaffBookingSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Booking]:
        day = _date_param(self.request, "date", timezone.localdate())
        bookings = services.bookings_on(day)
        if isinstance(self.request.auth, ApiToken):
            return bookings
        return bookings.filter(resource__in=services.managed_resources(self.request.user))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        day = _date_param(request, "date", timezone.localdate())
        subject = Subject("booking-day", day.isoformat())
        record(request, action=Action.READ, subject=subject, what="予約一覧", purpose=PURPOSE)
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=OnBehalfInput,
        responses={201: StaffBookingSerializer, **REFUSALS},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        given = OnBehalfInput(data=request.data)
        given.is_valid(raise_exception=True)
        ask = services.Request(**given.validated_data)
        staff = None if isinstance(request.auth, ApiToken) else request.user
        if staff and not services.managed_resources(staff).filter(pk=ask.resource.pk).exists():
            raise PermissionDenied(_("この施設・窓口を管理する権限がありません。"))
        try:
            booking = services.book_for_caller(ask, staff=staff)
        except BookingError as exc:
            return refused(exc)
        record(request, action=Action.CREATE, subject=booking, what="代理予約", purpose=PURPOSE)
        return Response(StaffBookingSerializer(booking).data, status=201)
