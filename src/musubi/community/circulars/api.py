"""API of the 電子回覧板: a resident's circulars, marking read and replying; for leaders and
staff, who has not read a circular and the tallies of its replies.

Residents act through their session (a machine token speaks for no household). Leaders are
residents too; staff need ``circulars.post`` (and the second factor), tokens that scope.
Reads of households' data by leaders, staff and tokens are audited. Errors are problem+json.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from musubi.community.circulars import oversight, services
from musubi.community.circulars.leaders import CITY_WIDE, Jurisdiction, jurisdiction_of
from musubi.community.circulars.models import Circular, Via
from musubi.community.circulars.permissions import POST
from musubi.community.circulars.questions import options_of
from musubi.platform.accounts import services as accounts
from musubi.platform.api.idempotency import idempotent
from musubi.platform.api.models import ApiToken
from musubi.platform.api.problems import problem
from musubi.platform.audit.models import Action
from musubi.platform.audit.services import record
from musubi.platform.residents.models import Resident

# --- serializers -----------------------------------------------------------------------------


class CircularOptionSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class CircularQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    text = serializers.CharField()
    options = serializers.SerializerMethodField()

    @extend_schema_field(CircularOptionSerializer(many=True))
    def get_options(self, question: Any) -> list[dict[str, str]]:
        return [{"value": o.value, "label": o.label} for o in options_of(question)]


class CircularReadSerializer(serializers.Serializer):
    name = serializers.CharField(
        source="resident", allow_null=True, help_text="Empty for a stamp a leader recorded."
    )
    via = serializers.ChoiceField(choices=Via.choices)
    read_at = serializers.DateTimeField()


class CircularReplySerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.CharField())
    answered_by = serializers.CharField(
        allow_null=True, help_text="Empty for a paper slip a leader recorded."
    )
    via = serializers.ChoiceField(choices=Via.choices)
    answered_at = serializers.DateTimeField()


class CircularAttachmentSerializer(serializers.Serializer):
    name = serializers.CharField(source="file.original_name")
    content_type = serializers.CharField(source="file.content_type")
    url = serializers.SerializerMethodField()

    def get_url(self, attachment: Any) -> str:
        return reverse("circulars:attachment", args=[attachment.circular_id, attachment.file_id])


class CircularSerializer(serializers.Serializer):
    """A circular as the reader's household sees it, in the request's language (else ja)."""

    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    body = serializers.CharField()
    language = serializers.CharField(source="language_shown")
    targets = serializers.SerializerMethodField()
    posted_at = serializers.DateTimeField()
    due_date = serializers.DateField()
    replies_open = serializers.SerializerMethodField()
    read = serializers.SerializerMethodField()
    read_by = serializers.SerializerMethodField()
    attachments = CircularAttachmentSerializer(many=True, read_only=True)
    questions = CircularQuestionSerializer(many=True, read_only=True)
    reply = serializers.SerializerMethodField()

    def _household(self) -> int:
        return self.context["reader"].household_id

    def get_targets(self, circular: Circular) -> list[str]:
        return [str(t) for t in circular.targets.all()]

    def get_replies_open(self, circular: Circular) -> bool:
        return services.open_for_replies(circular)

    def get_read(self, circular: Circular) -> bool:
        return circular.pk in self.context["read"]

    @extend_schema_field(CircularReadSerializer(many=True))
    def get_read_by(self, circular: Circular) -> list[dict[str, Any]]:
        reads = services.household_reads(circular, self._household())
        return CircularReadSerializer(reads, many=True).data

    @extend_schema_field(CircularReplySerializer(allow_null=True))
    def get_reply(self, circular: Circular) -> dict[str, Any] | None:
        found = services.reply_of(circular, self._household())
        return CircularReplySerializer(found).data if found else None


class CircularReplyInput(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=400),
        help_text="Answer per question id: an option's value, or text for a text question.",
    )


class UnreadHouseholdSerializer(serializers.Serializer):
    head_name = serializers.CharField()
    kumi = serializers.CharField(source="kumi_name")


class UnreadSerializer(serializers.Serializer):
    households = serializers.IntegerField()
    read = serializers.IntegerField()
    read_on_paper = serializers.IntegerField(help_text="Of ``read``: only by a paper stamp.")
    unread = UnreadHouseholdSerializer(many=True)


class TallyCountSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    on_paper = serializers.IntegerField(help_text="Of ``count``: answers from paper slips.")


class TallySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.CharField()
    counts = TallyCountSerializer(many=True)
    texts = serializers.ListField(child=serializers.CharField())


class TalliesSerializer(serializers.Serializer):
    households = serializers.IntegerField()
    read = serializers.IntegerField()
    replied = serializers.IntegerField()
    read_on_paper = serializers.IntegerField()
    replied_on_paper = serializers.IntegerField()
    questions = TallySerializer(many=True)


# --- the resident's household ----------------------------------------------------------------


class ResidentOnly(IsAuthenticated):
    """A signed-in resident's session (machine tokens act for no household)."""

    def has_permission(self, request, view) -> bool:
        return not isinstance(request.auth, ApiToken) and super().has_permission(request, view)


def _reader(request: Request) -> Resident:
    reader = services.reader_for(request.user)
    if reader is None:
        raise Http404
    return reader


def _visible(reader: Resident, pk: int) -> Circular:
    try:
        return services.visible_circular(reader, pk)
    except Circular.DoesNotExist:
        raise Http404 from None


def _shown(reader: Resident, circular: Circular) -> dict[str, Any]:
    context = {"reader": reader, "read": services.read_by_household(reader.household_id)}
    return CircularSerializer(circular, context=context).data


@extend_schema(tags=["me"])
class MyCirculars(APIView):
    """The circulars of the signed-in resident's 区 and 組, newest first (404: not linked)."""

    permission_classes = [ResidentOnly]

    @extend_schema(responses=CircularSerializer(many=True))
    def get(self, request: Request) -> Response:
        reader = _reader(request)
        context = {"reader": reader, "read": services.read_by_household(reader.household_id)}
        circulars = services.circulars_for(reader).prefetch_related(
            "targets", "questions", "attachments__file"
        )[:100]
        return Response(CircularSerializer(circulars, many=True, context=context).data)


@extend_schema(tags=["me"])
class MyCircular(APIView):
    permission_classes = [ResidentOnly]

    @extend_schema(responses=CircularSerializer)
    def get(self, request: Request, pk: int) -> Response:
        reader = _reader(request)
        return Response(_shown(reader, _visible(reader, pk)))


@extend_schema(tags=["me"])
class MarkRead(APIView):
    """「確認しました」 for the signed-in member; the household counts as read."""

    permission_classes = [ResidentOnly]

    @extend_schema(request=None, responses={200: CircularSerializer})
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        reader = _reader(request)
        circular = _visible(reader, pk)
        services.mark_read(circular, reader, request.user)
        return Response(_shown(reader, circular))


@extend_schema(tags=["me"])
class MyReply(APIView):
    """The household's answers (replacing earlier ones) until the due date; 422 after it."""

    permission_classes = [ResidentOnly]

    @extend_schema(
        request=CircularReplyInput,
        responses={
            200: CircularSerializer,
            400: OpenApiResponse(description="problem+json; `errors` lists answers.<question id>"),
            422: OpenApiResponse(description="problem+json: past the due date, or no questions"),
        },
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        given = CircularReplyInput(data=request.data)
        given.is_valid(raise_exception=True)
        reader = _reader(request)
        circular = _visible(reader, pk)
        try:
            services.reply(circular, reader, request.user, given.validated_data["answers"])
        except services.CircularError as exc:
            return _refused(exc)
        return Response(_shown(reader, circular))


def _refused(exc: services.CircularError) -> Response:
    if not hasattr(exc, "error_dict"):
        return problem(422, exc.messages[0])
    errors = [
        {"field": f"answers.{key}", "code": "invalid", "message": message}
        for key, messages in exc.message_dict.items()
        for message in messages
    ]
    return problem(
        400,
        _("項目ごとの誤りは errors を見てください。"),
        title=_("入力内容に誤りがあります"),
        errors=errors,
    )


# --- leaders and staff -----------------------------------------------------------------------


class LeaderOrStaff(BasePermission):
    """A serving 区長・組長 (session), staff granted ``circulars.post``, or a token so scoped."""

    permission_code = POST.code

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiToken):
            return request.auth.allows(POST.code)
        return bool(_where(request))


def _where(request: Request) -> Jurisdiction:
    if isinstance(request.auth, ApiToken):
        return CITY_WIDE
    if not request.user.is_authenticated:
        return Jurisdiction()
    if request.session.get("staff_mfa_passed") and accounts.has_permission(request.user, POST.code):
        return CITY_WIDE
    return jurisdiction_of(request.user)


def _overseen(request: Request, pk: int) -> tuple[Circular, Jurisdiction]:
    where = _where(request)
    user = request.user if request.user.is_authenticated else None
    found = services.circulars_overseen(where, user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found, where


def _household_table(
    request: Request, pk: int, what: str
) -> tuple[Circular, list[oversight.HouseholdRow]]:
    """The circular's per-household rows in the caller's areas; reading them is audited."""
    circular, where = _overseen(request, pk)
    purpose = oversight.AUDIT_PURPOSE
    record(request, action=Action.READ, subject=circular, what=what, purpose=purpose)
    return circular, oversight.rows(circular, where)


@extend_schema(tags=["circulars"])
class Unread(APIView):
    """Households of the caller's areas that have not read the circular (audited)."""

    permission_classes = [LeaderOrStaff]

    @extend_schema(responses=UnreadSerializer)
    def get(self, request: Request, pk: int) -> Response:
        _circular, table = _household_table(request, pk, "unread")
        body = {
            "households": len(table),
            "read": sum(1 for row in table if row.read),
            "read_on_paper": sum(1 for row in table if row.read_on_paper),
            "unread": [row for row in table if not row.read],
        }
        return Response(UnreadSerializer(body).data)


@extend_schema(tags=["circulars"])
class Tallies(APIView):
    """Counts per option of each question, and the texts of text answers (audited)."""

    permission_classes = [LeaderOrStaff]

    @extend_schema(responses=TalliesSerializer)
    def get(self, request: Request, pk: int) -> Response:
        circular, table = _household_table(request, pk, "tallies")
        summary = oversight.summary(table)
        questions = [
            {
                "id": t.question.pk,
                "kind": t.question.kind,
                "text": t.question.text,
                "counts": [
                    {"value": o.value, "label": o.label, "count": n, "on_paper": p}
                    for o, n, p in t.counts
                ],
                "texts": [text for text, _paper in t.texts],
            }
            for t in oversight.tallies(circular, table)
        ]
        body = {**summary.__dict__, "questions": questions}
        return Response(TalliesSerializer(body).data)
