"""The 電子回覧板: leaders (区長・組長), circulars, their targets, questions, reads and replies.

A circular goes to the households of its targets (a whole 区, or one 組). Reads are kept per
person, so a household counts as read once any member confirmed it and every member can see
who did; replies are kept per household (one answer, changeable until the due date). For a
household on paper a leader records the 回覧済み stamp and the slip's answers (``via`` paper).
Rows change only through ``services`` / ``leaders``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def in_language(texts: dict[str, str], language: str | None = None) -> str:
    """The text in ``language`` (the active one by default), else Japanese."""
    language = language or get_language() or "ja"
    return texts.get(language) or texts.get("ja") or ""


class LeaderRole(models.TextChoices):
    KUCHO = "kucho", _("区長")
    KUMICHO = "kumicho", _("組長")


class Leader(models.Model):
    """A resident serving as 区長 of a 区 or 組長 of a 組 for a term.

    The resident signs in with an account linked to their registry record; while the term
    runs they post circulars to their area and see who there has not read them.
    """

    personal_data = True

    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="+", verbose_name=_("住民")
    )
    role = models.CharField(_("役職"), max_length=10, choices=LeaderRole.choices)
    district = models.ForeignKey(
        "residents.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("区")
    )
    kumi = models.ForeignKey(
        "residents.Kumi",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("組"),
    )
    term_start = models.DateField(_("任期の開始"))
    term_end = models.DateField(_("任期の終了"), null=True, blank=True)
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    appointed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["district__order", "kumi__number", "term_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role="kucho", kumi__isnull=True)
                | Q(role="kumicho", kumi__isnull=False),
                name="circulars_leader_area_matches_role",
            )
        ]
        verbose_name = _("区長・組長")
        verbose_name_plural = _("区長・組長")

    def __str__(self) -> str:
        return f"{self.area_name()} {self.get_role_display()} {self.resident}"

    def area_name(self, language: str | None = None) -> str:
        return area_name(self.district, self.kumi, language)


def area_name(district, kumi, language: str | None = None) -> str:
    """「北割一区」「北割一区 3組」, or "Kitawari-ichi, kumi 3" in English."""
    if (language or get_language()) == "en":
        return f"{district.name_en}, kumi {kumi.number}" if kumi else district.name_en
    return f"{district.name}区 {kumi.number}組" if kumi else f"{district.name}区"


class State(models.TextChoices):
    PUBLISHED = "published", _("掲載中")
    WITHDRAWN = "withdrawn", _("取り下げ")


class Circular(models.Model):
    """One 回覧: title and body per language (ja required), a due date, optional questions."""

    titles = models.JSONField(_("件名（言語別）"), default=dict)
    bodies = models.JSONField(_("本文（言語別）"), default=dict)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    posted_as = models.ForeignKey(
        Leader, on_delete=models.SET_NULL, null=True, blank=True, related_name="circulars"
    )
    posted_at = models.DateTimeField(_("掲載日時"), default=timezone.now)
    due_date = models.DateField(_("期限"))
    remind_days_before = models.PositiveSmallIntegerField(_("期限の何日前に督促するか"), default=2)
    reminded_at = models.DateTimeField(_("督促日時"), null=True, blank=True)
    state = models.CharField(
        _("状態"), max_length=10, choices=State.choices, default=State.PUBLISHED
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-posted_at", "-id"]
        indexes = [models.Index(fields=["state", "due_date"], name="circulars_due")]
        verbose_name = _("回覧")
        verbose_name_plural = _("回覧")

    def __str__(self) -> str:
        return self.titles.get("ja", "")

    @property
    def title(self) -> str:
        return in_language(self.titles)

    @property
    def body(self) -> str:
        return in_language(self.bodies)

    @property
    def language_shown(self) -> str:
        """The language the title and body are shown in (for the ``lang`` attribute)."""
        language = get_language() or "ja"
        return language if self.bodies.get(language) else "ja"

    @property
    def withdrawn(self) -> bool:
        return self.state == State.WITHDRAWN


class Target(models.Model):
    """Where a circular goes: a whole 区 (``kumi`` empty) or one 組 of it."""

    circular = models.ForeignKey(Circular, on_delete=models.CASCADE, related_name="targets")
    district = models.ForeignKey("residents.District", on_delete=models.PROTECT, related_name="+")
    kumi = models.ForeignKey(
        "residents.Kumi", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["district__order", "kumi__number"]

    def __str__(self) -> str:
        return area_name(self.district, self.kumi)


class Attachment(models.Model):
    """A PDF or photo accepted by ``platform.files`` and shown with the circular."""

    circular = models.ForeignKey(Circular, on_delete=models.CASCADE, related_name="attachments")
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.circular_id}: {self.file_id}"


class QuestionKind(models.TextChoices):
    ATTENDANCE = "attendance", _("出欠")
    APPROVAL = "approval", _("賛否")
    CHOICE = "choice", _("選択式")
    TEXT = "text", _("記述式")


class Question(models.Model):
    """A question households answer: 出欠, 賛否, or a survey item (choices or short text).

    ``options`` (choice questions only): ``[{"value": "1", "labels": {"ja": …, "en": …}}]``.
    """

    circular = models.ForeignKey(Circular, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("種類"), max_length=12, choices=QuestionKind.choices)
    texts = models.JSONField(_("質問（言語別）"), default=dict)
    options = models.JSONField(_("選択肢"), default=list, blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.texts.get("ja", "")

    @property
    def text(self) -> str:
        return in_language(self.texts) or str(self.get_kind_display())


class Via(models.TextChoices):
    """How a read or reply reached the city: the household itself online, or a leader typing
    in the stamp and slip of a household on paper."""

    WEB = "web", _("ウェブ")
    PAPER = "paper", _("紙")


class Read(models.Model):
    """A member of a household confirmed reading a circular (確認しました), or a leader recorded
    the household's 回覧済み stamp from the paper sign-off list (``via`` paper: no member named,
    ``recorded_by`` the leader's or staff member's account)."""

    personal_data = True

    circular = models.ForeignKey(Circular, on_delete=models.CASCADE, related_name="reads")
    household = models.ForeignKey("residents.Household", on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, null=True, related_name="+"
    )
    # the account pressed 「確認しました」; empty only for reads the demo generator made up
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    via = models.CharField(_("経路"), max_length=5, choices=Via.choices, default=Via.WEB)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["read_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["circular", "resident"], name="circulars_read_once"),
            models.UniqueConstraint(
                fields=["circular", "household"],
                condition=Q(via="paper"),
                name="circulars_paper_read_once",
            ),
            models.CheckConstraint(
                condition=Q(via="web", resident__isnull=False, recorded_by__isnull=True)
                | Q(via="paper", resident__isnull=True, recorded_by__isnull=False),
                name="circulars_read_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.circular_id}: {self.household_id} {self.via} {self.read_at:%Y-%m-%d %H:%M}"

    @property
    def on_paper(self) -> bool:
        return self.via == Via.PAPER


class Reply(models.Model):
    """A household's one answer to a circular's questions, keyed by question id.

    Given online by a member (``answered_by``), or copied from the paper slip by a leader
    (``via`` paper, ``recorded_by``). A later online answer replaces a paper one; a paper one
    never replaces an online one (``paper.record`` refuses).
    """

    personal_data = True

    circular = models.ForeignKey(Circular, on_delete=models.CASCADE, related_name="replies")
    household = models.ForeignKey("residents.Household", on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(default=dict)
    answered_by = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, null=True, related_name="+"
    )
    via = models.CharField(_("経路"), max_length=5, choices=Via.choices, default=Via.WEB)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["answered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["circular", "household"], name="circulars_one_reply_per_household"
            ),
            models.CheckConstraint(
                condition=Q(via="web", answered_by__isnull=False, recorded_by__isnull=True)
                | Q(via="paper", answered_by__isnull=True, recorded_by__isnull=False),
                name="circulars_reply_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.circular_id}: {self.household_id} {self.via}"

    @property
    def on_paper(self) -> bool:
        return self.via == Via.PAPER
