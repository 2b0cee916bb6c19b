"""API of online procedures: the public catalogue, a resident's own applications, and the
department's applications for staff (with status transitions under an optimistic lock).

Errors are problem+json (``musubi.platform.api.problems``); a refused submission lists each
wrong answer with its path in the body (``data.children[0].birthdate``).
"""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musubi.citizen.procedures import services
from musubi.citizen.procedures.models import Application, Category, Procedure, Status
from musubi.platform.accounts import services as accounts
from musubi.platform.api.idempotency import idempotent
from musubi.platform.api.models import ApiToken
from musubi.platform.api.permissions import require
from musubi.platform.api.problems import problem
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import Subject, record
from musubi.platform.files import services as files

PURPOSE = "申請の審査"


# --- serializers -----------------------------------------------------------------------------


class ProcedureSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code", read_only=True)
    online = serializers.BooleanField(read_only=True)

    class Meta:
        model = Procedure
        fields = [
            "code",
            "name_ja",
            "name_en",
            "category",
            "department",
            "fee_yen",
            "processing_days",
            "channels",
            "online",
        ]


class FormSerializer(serializers.Serializer):
    version = serializers.IntegerField(source="number")
    valid_from = serializers.DateTimeField(allow_null=True)
    definition = serializers.JSONField()


class ProcedureDetailSerializer(ProcedureSerializer):
    form = serializers.SerializerMethodField()

    class Meta(ProcedureSerializer.Meta):
        fields = [
            *ProcedureSerializer.Meta.fields,
            "description_ja",
            "description_en",
            "eligibility_ja",
            "eligibility_en",
            "attachments",
            "fee_note_ja",
            "fee_note_en",
            "legal_basis",
            "form",
        ]

    @extend_schema_field(FormSerializer(allow_null=True))
    def get_form(self, procedure: Procedure) -> dict[str, Any] | None:
        version = services.published_version(procedure)
        return FormSerializer(version).data if version else None


class TransitionSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    at = serializers.DateTimeField()
    message = serializers.CharField()


class AttachmentSerializer(serializers.Serializer):
    requirement = serializers.CharField()
    file = serializers.UUIDField(source="file_id")


class FieldsBuiltOnce:
    """Work out a ModelSerializer's fields from the model once per class, not per instance.

    Every submission is answered through a new serializer, and DRF's reading of the model's
    fields cost more than the serializing itself. Each instance still gets its own copies,
    since DRF binds fields to their parent serializer.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return copy.deepcopy(built)


class ApplicationSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    procedure = serializers.CharField(source="procedure.code", read_only=True)
    form_version = serializers.IntegerField(source="form_version.number", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "receipt_number",
            "procedure",
            "form_version",
            "channel",
            "status",
            "version",
            "submitted_at",
            "due_date",
            "completed_at",
        ]


class ApplicationDetailSerializer(ApplicationSerializer):
    data = serializers.JSONField(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    history = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields = [
            *ApplicationSerializer.Meta.fields,
            "applicant_name",
            "data",
            "attachments",
            "history",
        ]

    @extend_schema_field(TransitionSerializer(many=True))
    def get_history(self, application: Application) -> list[dict[str, Any]]:
        staff = self.context.get("staff")
        shown = [t for t in application.transitions.all() if staff or t.visible_to_applicant]
        return TransitionSerializer(shown, many=True).data


class AttachmentInput(serializers.Serializer):
    requirement = serializers.CharField(max_length=80)
    file = serializers.UUIDField()


class ProcedureCodeField(serializers.SlugRelatedField):
    """An active procedure by its code, read with its form version in force (one query)."""

    def to_internal_value(self, data: Any) -> Procedure:
        procedure = services.active_procedure(data) if isinstance(data, str) else None
        if procedure is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return procedure


class SubmissionSerializer(serializers.Serializer):
    """A whole application in one request: the answers, documents and optional signature."""

    procedure = ProcedureCodeField(
        slug_field="code", queryset=Procedure.objects.filter(active=True)
    )
    data = serializers.DictField(help_text="The answers, keyed by the form's field ids.")
    attachments = AttachmentInput(many=True, required=False, default=list)
    signature = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Base64 of a detached CMS signature over the canonical document "
        "(RFC 8785 of {procedure, form_version, data}).",
    )

    def validate_signature(self, value: str) -> bytes | None:
        if not value:
            return None
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(_("署名は Base64 で送ってください。")) from None


class TransitionInput(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Status.choices)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    expected_version = serializers.IntegerField(min_value=1)


# --- errors ----------------------------------------------------------------------------------


def field_path(name: str) -> str:
    """The engine's input name as a path into the request: ``f-children-0-birthdate`` →
    ``data.children[0].birthdate``; ``attachments:<code>`` → ``attachments.<code>``."""
    if name.startswith("attachments:"):
        return "attachments." + name.split(":", 1)[1]
    if name in ("signature", ""):
        return name
    if name == "form" or name == "f-form":
        return "data"
    parts = name.removeprefix("f-").split("-")
    path = "data"
    for part in parts:
        path += f"[{part}]" if part.isdigit() else f".{part}"
    return path


def invalid(exc: services.InvalidSubmission) -> Response:
    errors = [
        {"field": field_path(name), "code": "invalid", "message": message}
        for name, message in exc.errors.items()
    ]
    return problem(
        400,
        _("項目ごとの誤りは errors を見てください。"),
        title=_("入力内容に誤りがあります"),
        errors=errors,
    )


def refused(exc: services.ProcedureError) -> Response:
    if isinstance(exc, services.InvalidSubmission):
        return invalid(exc)
    if isinstance(exc, services.StaleEdit):
        return problem(409, exc.message, title=_("他の更新と競合しました"))
    return problem(422, exc.message)


# --- the public catalogue --------------------------------------------------------------------


@extend_schema(
    tags=["procedures"],
    parameters=[
        OpenApiParameter("q", str, description="Words in the name or description"),
        OpenApiParameter("category", str, enum=Category.values),
    ],
)
class ProcedureList(generics.ListAPIView):
    """Procedures accepting applications (no login needed)."""

    serializer_class = ProcedureSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_queryset(self) -> QuerySet[Procedure]:
        params = self.request.query_params
        return services.find_procedures(params.get("q", ""), params.get("category", ""))


@extend_schema(tags=["procedures"])
class ProcedureDetail(generics.RetrieveAPIView):
    """One procedure with the form definition in force (``form``; null when none)."""

    serializer_class = ProcedureDetailSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []
    queryset = Procedure.objects.filter(active=True).select_related("department")
    lookup_field = "code"


# --- the resident's own applications ---------------------------------------------------------


class ResidentOnly(IsAuthenticated):
    """A signed-in resident's session (machine tokens act for no resident)."""

    def has_permission(self, request, view) -> bool:
        return not isinstance(request.auth, ApiToken) and super().has_permission(request, view)


class MyApplications(generics.ListAPIView):
    """The session user's applications; POST submits a new one (honours Idempotency-Key)."""

    permission_classes = [ResidentOnly]
    serializer_class = ApplicationSerializer

    def get_queryset(self) -> QuerySet[Application]:
        return services.applications_for(self.request.user).select_related("form_version")

    @extend_schema(
        tags=["me"],
        request=SubmissionSerializer,
        responses={
            201: ApplicationDetailSerializer,
            400: OpenApiResponse(description="problem+json; `errors` lists each field path"),
            422: OpenApiResponse(description="problem+json: not accepted, or key reused"),
        },
    )
    @idempotent
    def post(self, request: Request) -> Response:
        given = SubmissionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            application = _start_and_submit(request.user, given.validated_data)
        except services.ProcedureError as exc:
            return refused(exc)
        body = ApplicationDetailSerializer(application).data
        return Response(body, status=201)

    @extend_schema(tags=["me"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _start_and_submit(user: Any, given: dict[str, Any]) -> Application:
    """Draft and submission in one step: a refused submission leaves no draft behind."""
    return services.submit_new(
        given["procedure"],
        given["data"],
        applicant=user,
        attachments=_owned_files(user, given["attachments"]),
        signature=given.get("signature"),
    )


def _owned_files(user: Any, items: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    chosen, errors = [], {}
    for item in items:
        try:
            chosen.append((item["requirement"], files.owned_file(user, item["file"])))
        except files.StoredFile.DoesNotExist:
            errors[f"attachments:{item['requirement']}"] = _("添付できないファイルです。")
    if errors:
        raise services.InvalidSubmission(errors)
    return chosen


@extend_schema(tags=["me"])
class MyApplication(generics.RetrieveAPIView):
    """One of the session user's applications, with the applicant-visible history."""

    permission_classes = [ResidentOnly]
    serializer_class = ApplicationDetailSerializer

    def get_queryset(self) -> QuerySet[Application]:
        return services.applications_for(self.request.user).select_related("form_version")


# --- staff: the department's applications ----------------------------------------------------


def _departments(request: Request) -> list[Any]:
    if isinstance(request.auth, ApiToken):
        return [request.auth.department]
    return accounts.departments_granting(request.user, "procedures.view")


@extend_schema(
    tags=["applications"],
    parameters=[
        OpenApiParameter("status", str, enum=Status.values),
        OpenApiParameter("procedure", str, description="Procedure code"),
        OpenApiParameter("overdue", bool),
        OpenApiParameter("q", str, description="Receipt number, name or kana"),
    ],
)
class StaffApplications(generics.ListAPIView):
    """Submitted applications of the caller's departments, most urgent first (audited)."""

    permission_classes = [require("procedures.view")]
    serializer_class = ApplicationSerializer

    def get_queryset(self) -> QuerySet[Application]:
        params = self.request.query_params
        filters = services.InboxFilters(
            status=params.get("status") or None,
            procedure=params.get("procedure") or None,
            overdue=params.get("overdue") in ("1", "true"),
            text=params.get("q", "")[:100],
        )
        return services.inbox(_departments(self.request), filters).select_related("form_version")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        shown = dict(request.query_params.items())
        record(
            request,
            action=Action.SEARCH,
            subject=Subject("application", ""),
            what=f"applications {shown}",
            purpose=PURPOSE,
        )
        return super().list(request, *args, **kwargs)


def _staff_application(request: Request, pk: int) -> Application:
    return get_object_or_404(
        Application.objects.select_related("procedure", "form_version").exclude(
            status=Status.DRAFT
        ),
        pk=pk,
        department__in=_departments(request),
    )


@extend_schema(tags=["applications"])
class StaffApplication(APIView):
    """One application of the caller's departments, with its full history (audited)."""

    permission_classes = [require("procedures.view")]

    @extend_schema(responses=ApplicationDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        application = _staff_application(request, pk)
        record(
            request, action=Action.READ, subject=application, what="application", purpose=PURPOSE
        )
        return Response(ApplicationDetailSerializer(application, context={"staff": True}).data)


@extend_schema(tags=["applications"])
class StaffTransition(APIView):
    """Move an application along the table; ``expected_version`` guards against stale edits."""

    permission_classes = [require("procedures.view")]

    @extend_schema(
        request=TransitionInput,
        responses={
            200: ApplicationDetailSerializer,
            409: OpenApiResponse(description="problem+json: changed by someone else"),
            422: OpenApiResponse(description="problem+json: move not allowed"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        if isinstance(request.auth, ApiToken):
            raise PermissionDenied(_("状態の変更は職員のログインで行ってください。"))
        given = TransitionInput(data=request.data)
        given.is_valid(raise_exception=True)
        application = _staff_application(request, pk)
        try:
            application = services.transition(
                application,
                given.validated_data["to_status"],
                actor=request.user,
                message=given.validated_data["message"],
                expected_version=given.validated_data["expected_version"],
            )
        except services.ProcedureError as exc:
            return refused(exc)
        record(
            request,
            action=Action.UPDATE,
            subject=application,
            what=f"status → {application.status}",
            purpose=PURPOSE,
        )
        return Response(ApplicationDetailSerializer(application, context={"staff": True}).data)
