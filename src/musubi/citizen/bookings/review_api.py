"""Review API: a signed-in person's 利用者登録 (``/me/registration/``), and the staff's review
of groups and registrations (``bookings.manage``), the same rules as the pages.

Staff lists show applicants' names and phones, so every read is audited, like the review
pages; every decision is audited too. Deciding something already reviewed, or rejecting
without a reason, is a 422 with the rule's message; an unknown id is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musubi.citizen.bookings import groups, permissions, registrations
from musubi.citizen.bookings.api import PURPOSE, REFUSALS, PersonOnly, refused
from musubi.citizen.bookings.errors import BookingError
from musubi.citizen.bookings.group_api import GroupSerializer
from musubi.citizen.bookings.models import ReviewStatus, UserGroup, UserRegistration
from musubi.platform.api.idempotency import idempotent
from musubi.platform.api.models import ApiToken
from musubi.platform.api.permissions import require
from musubi.platform.api.problems import problem
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record

# --- serializers -----------------------------------------------------------------------------


class RegistrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = UserRegistration
        fields = [
            "id", "name", "address", "phone", "status", "review_reason", "reviewed_at",
            "verified_by_registry", "created_at",
        ]  # fmt: skip


class RegistrationInput(serializers.ModelSerializer):
    """The page's fields; which are required is the rule in ``data/registration_rules.json``."""

    class Meta:
        model = UserRegistration
        fields = list(registrations.FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            needed = name in registrations.required_fields()
            field.required, field.allow_blank = needed, not needed


class StaffRegistrationSerializer(RegistrationSerializer):
    account = serializers.EmailField(source="user.email", read_only=True)

    class Meta(RegistrationSerializer.Meta):
        fields = [*RegistrationSerializer.Meta.fields, "account"]


class StaffGroupSerializer(GroupSerializer):
    representative = serializers.CharField(source="representative.get_full_name", read_only=True)
    representative_email = serializers.EmailField(source="representative.email", read_only=True)

    class Meta(GroupSerializer.Meta):
        fields = [*GroupSerializer.Meta.fields, "representative", "representative_email"]


class DecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200,
        help_text="Required for a rejection: the applicant reads it",
    )  # fmt: skip


# --- the person's registration ---------------------------------------------------------------


class MyRegistration(APIView):
    """My 利用者登録 (404 before I apply); POST applies or corrects a pending or rejected one
    (honours Idempotency-Key). An account linked to a living resident is approved at once."""

    permission_classes = [PersonOnly]

    @extend_schema(tags=["me"], responses={200: RegistrationSerializer})
    def get(self, request: Request) -> Response:
        found = registrations.registration_of(request.user)
        if found is None:
            return problem(404, _("利用者登録はまだありません。"))
        return Response(RegistrationSerializer(found).data)

    @extend_schema(
        tags=["me"], request=RegistrationInput,
        responses={201: RegistrationSerializer, 422: REFUSALS[422]},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        given = RegistrationInput(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            made = registrations.apply(request.user, **given.validated_data)
        except BookingError as exc:
            return refused(exc)
        return Response(RegistrationSerializer(made).data, status=201)


# --- staff review ----------------------------------------------------------------------------

STATUS = OpenApiParameter(
    "status",
    str,
    enum=ReviewStatus.values,
    description="Only this status (default: all, pending first)",
)


class _ReviewList(generics.ListAPIView):
    """Applications to review, pending first; the read is audited (names and phones)."""

    permission_classes = [require(permissions.MANAGE)]
    listing: Any
    subject = what = ""

    def get_queryset(self) -> QuerySet:
        status = self.request.query_params.get("status", "")
        try:
            return type(self).listing(status)
        except ValueError:
            raise serializers.ValidationError(
                {"status": _("status は pending・approved・rejected のどれかです。")}
            ) from None

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        answer = super().list(request, *args, **kwargs)
        record(
            request, action=Action.READ, subject=Subject(self.subject, "all"), what=self.what,
            purpose=PURPOSE,
        )  # fmt: skip
        return answer


class _Decide(APIView):
    """Approve or reject one pending application (a rejection needs a reason)."""

    permission_classes = [require(permissions.MANAGE)]
    model: type[Model]
    serializer: type[serializers.Serializer]
    decide: Any
    what = ""

    def post(self, request: Request, pk: int) -> Response:
        item = get_object_or_404(self.model, pk=pk)
        given = DecisionInput(data=request.data)
        given.is_valid(raise_exception=True)
        staff = None if isinstance(request.auth, ApiToken) else request.user
        approve = given.validated_data["decision"] == "approve"
        try:
            type(self).decide(
                item, by=staff, approve=approve, reason=given.validated_data["reason"]
            )
        except BookingError as exc:
            return refused(exc)
        item.refresh_from_db()
        record(request, action=Action.UPDATE, subject=item, what=self.what, purpose=PURPOSE)
        return Response(self.serializer(item).data)


@extend_schema(tags=["bookings"], parameters=[STATUS])
class StaffGroups(_ReviewList):
    """Registered groups (団体登録) with their representatives, for review."""

    serializer_class = StaffGroupSerializer
    listing = groups.listed
    subject, what = "booking-groups", "登録団体一覧"


@extend_schema(
    tags=["bookings"], request=DecisionInput,
    responses={200: StaffGroupSerializer, 422: REFUSALS[422]},
)  # fmt: skip
class StaffGroupDecide(_Decide):
    """Approve or reject a pending group; its representative is told through the hub."""

    model, serializer, what = UserGroup, StaffGroupSerializer, "団体登録の審査"
    decide = groups.review


@extend_schema(tags=["bookings"], parameters=[STATUS])
class StaffRegistrations(_ReviewList):
    """利用者登録 (facility user registrations) with names, addresses and phones, for review."""

    serializer_class = StaffRegistrationSerializer
    listing = registrations.listed
    subject, what = "booking-registrations", "利用者登録一覧"


@extend_schema(
    tags=["bookings"], request=DecisionInput,
    responses={200: StaffRegistrationSerializer, 422: REFUSALS[422]},
)  # fmt: skip
class StaffRegistrationDecide(_Decide):
    """Approve or reject a pending 利用者登録; the applicant is told through the hub."""

    model, serializer, what = UserRegistration, StaffRegistrationSerializer, "利用者登録の審査"
    decide = registrations.decide
