"""API of payments for staff and machine clients: list and read payments, refund one.

Errors are problem+json. A refund honours ``Idempotency-Key`` twice over: the HTTP answer is
replayed by ``platform/api``, and the key is also the refund key, so even a retry that
reaches the service again refunds once.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musubi.platform.api.idempotency import HEADER, idempotent
from musubi.platform.api.models import ApiToken
from musubi.platform.api.permissions import require
from musubi.platform.api.problems import problem
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.payments import services
from musubi.platform.payments.errors import InvalidRefund, PaymentError
from musubi.platform.payments.models import Payment, Refund, State

PURPOSE = "使用料・手数料の収納管理"


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["amount", "reason", "provider_reference", "created_at"]


class PaymentSerializer(serializers.ModelSerializer):
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "reference",
            "amount",
            "refunded_amount",
            "purpose",
            "state",
            "subject_app",
            "subject_id",
            "provider",
            "provider_reference",
            "due_at",
            "created_at",
            "paid_at",
            "refunds",
        ]


class RefundInput(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Yen to give back (at most what is left).")
    reason = serializers.CharField(max_length=500)

    def validate_amount(self, value: int) -> int:
        if value <= 0:
            raise serializers.ValidationError(_("返金額は1円以上の整数で指定してください。"))
        return value


@extend_schema(
    tags=["payments"],
    parameters=[
        OpenApiParameter("state", str, enum=State.values),
        OpenApiParameter("subject_app", str, description="App label of what is paid for"),
        OpenApiParameter("subject_id", str, description="Its id within that app"),
    ],
)
class PaymentList(generics.ListAPIView):
    """Payments, newest first (audited)."""

    permission_classes = [require("payments.view")]
    serializer_class = PaymentSerializer

    def get_queryset(self) -> QuerySet[Payment]:
        params = self.request.query_params
        found = Payment.objects.prefetch_related("refunds")
        if params.get("state"):
            found = found.filter(state=params["state"])
        for name in ("subject_app", "subject_id"):
            if params.get(name):
                found = found.filter(**{name: params[name]})
        return found

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if request.query_params.get("state", "") not in ("", *State.values):
            return problem(400, _("状態の指定が正しくありません。"))
        shown = dict(request.query_params.items())
        record(
            request,
            action=Action.SEARCH,
            subject=Subject("payment", ""),
            what=f"payments {shown}"[:200],
            purpose=PURPOSE,
        )
        return super().list(request, *args, **kwargs)


def _payment(reference: str) -> Payment:
    try:
        return services.find(reference)
    except PaymentError as exc:
        raise Http404(exc.message) from None


@extend_schema(tags=["payments"])
class PaymentDetail(APIView):
    """One payment with its refunds (audited)."""

    permission_classes = [require("payments.view")]

    @extend_schema(responses=PaymentSerializer)
    def get(self, request: Request, reference: str) -> Response:
        payment = _payment(reference)
        record(request, action=Action.READ, subject=payment, what="payment", purpose=PURPOSE)
        return Response(PaymentSerializer(payment).data)


@extend_schema(tags=["payments"])
class RefundCreate(APIView):
    """Refund part or all of a paid payment; the Idempotency-Key is also the refund key."""

    permission_classes = [require("payments.refund")]

    @extend_schema(
        request=RefundInput,
        responses={
            201: PaymentSerializer,
            400: OpenApiResponse(description="problem+json: bad amount or reason"),
            404: OpenApiResponse(description="problem+json: unknown reference"),
            422: OpenApiResponse(description="problem+json: not refundable, or key reused"),
        },
    )
    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        given = RefundInput(data=request.data)
        given.is_valid(raise_exception=True)
        payment = _payment(reference)
        actor = None if isinstance(request.auth, ApiToken) else request.user
        key = request.headers.get(HEADER) or uuid.uuid4().hex
        try:
            services.refund(payment, **given.validated_data, key=key, actor=actor)
        except PaymentError as exc:
            return problem(400 if isinstance(exc, InvalidRefund) else 422, exc.message)
        record(
            request,
            action=Action.UPDATE,
            subject=payment,
            what=f"refund {given.validated_data['amount']} yen",
            purpose=PURPOSE,
        )
        payment.refresh_from_db()
        return Response(PaymentSerializer(payment).data, status=201)
