"""The data of health check-ups (検診): a yearly programme, its types, applications, notices.

Kept apart from ``models.py`` (imported at its end, so Django sees one app). A check-up
session is a slot of a ``Resource`` of kind CHECKUP (the site); an application's booking is an
ordinary ``Booking``, so the slot engine's unique index keeps sessions from being overbooked.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from musubi.citizen.bookings.models import Channel


class Programme(models.Model):
    """One fiscal year's check-ups (令和9年度検診) and its flow: notice, application window,
    booking window. The dates are data per programme: the strategy's December notice, January
    application and booking from April are only the defaults (``checkups.default_dates``)."""

    fiscal_year = models.PositiveSmallIntegerField(_("年度（西暦）"), unique=True)
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="checkup_programmes"
    )
    notice_on = models.DateField(_("案内日"))
    apply_from = models.DateField(_("申込開始日"))
    apply_until = models.DateField(_("申込締切日"))
    book_from = models.DateField(_("予約開始日"))
    book_until = models.DateField(_("予約締切日"))
    reference_date = models.DateField(
        _("年齢の基準日"), help_text=_("この日の年齢で対象を決めます（通常は年度末 3月31日）。")
    )
    noticed_at = models.DateTimeField(_("案内の送信日時"), null=True, blank=True)
    synthetic = models.BooleanField(_("デモ用の架空データ"), default=False)

    class Meta:
        ordering = ["-fiscal_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(apply_until__gte=F("apply_from"))
                & Q(book_until__gte=F("book_from"))
                & Q(book_from__gt=F("apply_from")),
                name="bookings_checkup_windows",
            )
        ]
        verbose_name = _("検診の年度計画")
        verbose_name_plural = _("検診の年度計画")

    def __str__(self) -> str:
        return self.era_name

    @property
    def era_name(self) -> str:
        """令和N年度 (the 年度 starting in April of ``fiscal_year``)."""
        if get_language() == "en":
            return f"FY{self.fiscal_year}"
        return f"令和{self.fiscal_year - 2018}年度"

    @property
    def starts(self) -> dt.date:
        return dt.date(self.fiscal_year, 4, 1)


class CheckupType(models.Model):
    """One check-up of a programme with its eligibility (copied from ``checkup_types.yaml``
    when the programme is made, so a later guideline change never rewrites a past year)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="types")
    code = models.SlugField(_("コード"), max_length=30)
    name_ja = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英語名"), max_length=120, blank=True)
    min_age = models.PositiveSmallIntegerField(_("対象年齢（下限）"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("対象年齢（上限）"), null=True, blank=True)
    sex = models.CharField(_("対象の性別"), max_length=1, blank=True)
    interval_years = models.PositiveSmallIntegerField(_("受診間隔（年）"), default=1)
    insurance = models.CharField(_("対象の医療保険"), max_length=10, blank=True)
    fee_yen = models.PositiveIntegerField(_("自己負担額（円）"), default=0)
    sites = models.ManyToManyField(
        "bookings.Resource", related_name="checkup_types", limit_choices_to={"kind": "checkup"}
    )

    class Meta:
        ordering = ["programme", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="bookings_checkup_type")
        ]
        verbose_name = _("検診の種類")
        verbose_name_plural = _("検診の種類")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" and self.name_en else self.name_ja


class Application(models.Model):
    """A resident's application (受診希望申込) for one check-up type; at most one per type and
    resident, and at most one booking (``booking``) for it."""

    personal_data = True

    checkup = models.ForeignKey(CheckupType, on_delete=models.PROTECT, related_name="applications")
    resident = models.ForeignKey(
        "residents.Resident", on_delete=models.PROTECT, related_name="checkup_applications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("受付経路"), max_length=8, choices=Channel.choices)
    exemption = models.CharField(_("減免"), max_length=40, blank=True)
    fee_yen = models.PositiveIntegerField(_("自己負担額（円）"), default=0)
    declared_insurance = models.BooleanField(_("保険の申告"), default=False)
    booking = models.OneToOneField(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checkup_application",
    )
    created_at = models.DateTimeField(_("申込日時"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["checkup", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["checkup", "resident"], name="bookings_checkup_apply_once"
            )
        ]
        verbose_name = _("検診の申込")
        verbose_name_plural = _("検診の申込")

    def __str__(self) -> str:
        return f"{self.checkup.code} {self.resident_id}"

    @property
    def reference(self) -> str:
        return f"K{self.pk:07d}"


class Notice(models.Model):
    """That one resident was sent a programme's notice (案内), so a second run skips them."""

    personal_data = True

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="notices")
    resident = models.ForeignKey("residents.Resident", on_delete=models.CASCADE, related_name="+")
    message_id = models.PositiveBigIntegerField(_("通知ID"))
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "resident"], name="bookings_checkup_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.resident_id}"
