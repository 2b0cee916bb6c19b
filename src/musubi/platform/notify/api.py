"""API of the hub: send a message (scoped token, Idempotency-Key), list messages, one message
with its reach, and its deliveries (paginated, audited). Errors are problem+json.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from musubi.platform.accounts import services as accounts
from musubi.platform.api.idempotency import idempotent
from musubi.platform.api.models import ApiToken
from musubi.platform.api.permissions import require
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.notify import audiences, reach, services
from musubi.platform.notify.models import Delivery, Message, Template
from musubi.platform.notify.templating import check_values

PURPOSE = "お知らせの配信管理"


class MessageSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subject = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "template", "subject", "audience", "audience_label", "emergency",
                  "needs_ack", "scheduled_at", "state", "created_at", "fanned_out_at"]  # fmt: skip

    def get_subject(self, message: Message) -> str:
        return message.subject()


class DistrictReachSerializer(serializers.Serializer):
    name = serializers.CharField()
    households = serializers.IntegerField()
    reached = serializers.IntegerField()
    percent = serializers.FloatField()


class ReachSerializer(serializers.Serializer):
    households = serializers.IntegerField()
    reached = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    percent = serializers.FloatField()
    by_channel = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField())
    )
    by_district = DistrictReachSerializer(many=True)


class MessageDetailSerializer(MessageSerializer):
    body = serializers.SerializerMethodField()
    reach = serializers.SerializerMethodField()

    class Meta(MessageSerializer.Meta):
        fields = [*MessageSerializer.Meta.fields, "body", "reach"]

    def get_body(self, message: Message) -> str:
        return message.text("ja")["body"]

    @extend_schema_field(ReachSerializer)
    def get_reach(self, message: Message) -> dict[str, Any]:
        return ReachSerializer(reach.reach_of(message)).data


class SendSerializer(serializers.Serializer):
    template = serializers.SlugField()
    values = serializers.DictField(child=serializers.CharField(), required=False, default=dict)
    audience = serializers.DictField()
    emergency = serializers.BooleanField(default=False)
    needs_ack = serializers.BooleanField(default=False)
    renotify_after_minutes = serializers.IntegerField(min_value=1, required=False)
    scheduled_at = serializers.DateTimeField(required=False)
    publish_onsite = serializers.BooleanField(default=True)

    def validate_template(self, code: str) -> Template:
        template = Template.objects.filter(code=code).first()
        if template is None:
            raise serializers.ValidationError(
                _("テンプレート「%(code)s」はありません。") % {"code": code}
            )
        return template

    def validate(self, data: dict) -> dict:
        """Name the field at fault: the values against the template, then the audience."""
        errors = {}
        try:
            check_values(data["template"].placeholders, data.get("values", {}))
        except DjangoValidationError as exc:
            errors["values"] = exc.messages
        try:
            audiences.recipients(data["audience"])
        except DjangoValidationError as exc:
            errors["audience"] = exc.messages
        if errors:
            raise serializers.ValidationError(errors)
        return data


class DeliverySerializer(serializers.ModelSerializer):
    household = serializers.SlugRelatedField(slug_field="number", read_only=True)
    resident = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "key", "channel", "address", "household", "resident", "language",
                  "state", "attempts", "next_attempt_at", "sent_at", "detail"]  # fmt: skip


def _departments(request: Request, code: str) -> list[Any]:
    if isinstance(request.auth, ApiToken):
        return [request.auth.department]
    return accounts.departments_granting(request.user, code)


def _allowed(request: Request, code: str) -> bool:
    if isinstance(request.auth, ApiToken):
        return request.auth.allows(code)
    return accounts.has_permission(request.user, code)


def _visible(request: Request) -> QuerySet[Message]:
    return Message.objects.filter(department__in=_departments(request, "notify.view"))


@extend_schema(tags=["notices"])
class Messages(generics.ListAPIView):
    """Messages of the caller's departments, newest first."""

    permission_classes = [require("notify.view")]
    serializer_class = MessageSerializer

    def get_queryset(self) -> QuerySet[Message]:
        return _visible(self.request).select_related("template")


@extend_schema(tags=["notices"])
class Send(generics.GenericAPIView):
    """Send a message from a template to an audience (needs scope ``notify.send``;
    emergencies also ``notify.emergency``)."""

    permission_classes = [require("notify.send")]
    serializer_class = SendSerializer

    @extend_schema(
        request=SendSerializer,
        responses={
            201: MessageSerializer,
            400: OpenApiResponse(description="problem+json: wrong values or audience"),
        },
    )
    @idempotent
    def post(self, request: Request) -> Response:
        given = SendSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        if data["emergency"] and not _allowed(request, "notify.emergency"):
            raise exceptions.PermissionDenied(_("緊急のお知らせを送る権限がありません。"))
        try:
            message = services.compose(
                **data,
                created_by=None if isinstance(request.auth, ApiToken) else request.user,
                department=_departments(request, "notify.send")[0],
                source="api",
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"scheduled_at": exc.messages}) from exc
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["notices"])
class MessageDetail(generics.RetrieveAPIView):
    """One message with its reach (by channel and by 区)."""

    permission_classes = [require("notify.view")]
    serializer_class = MessageDetailSerializer

    def get_queryset(self) -> QuerySet[Message]:
        return _visible(self.request)


@extend_schema(tags=["notices"])
class MessageDeliveries(generics.ListAPIView):
    """The deliveries of one message, paginated (audited: they hold addresses)."""

    permission_classes = [require("notify.view")]
    serializer_class = DeliverySerializer

    def get_queryset(self) -> QuerySet[Delivery]:
        message = get_object_or_404(_visible(self.request), pk=self.kwargs["pk"])
        return message.deliveries.select_related("household", "resident").order_by("id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record(request, action=Action.SEARCH, subject=Subject("notify_message", str(kwargs["pk"])),
               what="deliveries", purpose=PURPOSE)  # fmt: skip
        return super().list(request, *args, **kwargs)
