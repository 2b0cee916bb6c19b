"""The slot engine's data: bookable resources, closed days, bookings and availability views.

Slots are not stored: they are generated on demand from a resource's opening hours. A booking
holds one *seat* of one slot (a room has one seat, a counter service as many as its staff
pool); the database's partial unique index on (resource, start, seat) among holding bookings
is what makes a double booking impossible, whatever the Python code above it does.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ROOM = "room", _("施設・部屋")
    COUNTER = "counter", _("窓口予約")
    CHECKUP = "checkup", _("検診会場")


class Resource(models.Model):
    """Something bookable by the slot: a room, a counter service, a check-up session site.

    ``hours`` maps the ISO weekday (``"1"`` = Monday … ``"7"`` = Sunday) to ``["09:00",
    "21:00"]``; a weekday missing from it is closed.
    """

    code = models.SlugField(_("コード"), max_length=60, unique=True)
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices)
    name_ja = models.CharField(_("名称"), max_length=120)
    name_en = models.CharField(_("英語名"), max_length=160, blank=True)
    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="booking_resources"
    )
    capacity = models.PositiveSmallIntegerField(
        _("同時に受けられる予約数"), default=1, help_text=_("部屋は1、窓口は担当職員の人数。")
    )
    max_party = models.PositiveSmallIntegerField(_("最大利用人数"), default=1)
    slot_minutes = models.PositiveSmallIntegerField(_("1枠の長さ（分）"), default=60)
    hours = models.JSONField(_("開館時間"), default=dict)
    open_on_holidays = models.BooleanField(_("祝日も開館"), default=False)
    min_notice_hours = models.PositiveIntegerField(_("予約締切（開始の何時間前まで）"), default=0)
    max_advance_days = models.PositiveIntegerField(_("何日先まで予約できるか"), default=90)
    monthly_quota = models.PositiveSmallIntegerField(
        _("1人1か月の予約上限"), default=0, help_text=_("0は上限なし。")
    )
    fee_resident_yen = models.PositiveIntegerField(_("市内料金（円）"), default=0)
    fee_nonresident_yen = models.PositiveIntegerField(_("市外料金（円）"), default=0)
    payment_days = models.PositiveSmallIntegerField(_("支払期限（予約から何日）"), default=7)
    residents_only = models.BooleanField(_("市民のみ"), default=False)
    groups_only = models.BooleanField(
        _("登録団体のみ"), default=False, help_text=_("承認された団体の予約だけを受け付ける。")
    )
    registration_required = models.BooleanField(
        _("利用者登録が必要"),
        default=False,
        help_text=_("利用者登録が承認されたアカウント（または承認された団体）だけが予約できる。"),
    )
    monthly_group_quota = models.PositiveSmallIntegerField(
        _("1団体1か月の予約上限"), default=0, help_text=_("0は上限なし。")
    )
    min_age = models.PositiveSmallIntegerField(_("対象年齢（下限）"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("対象年齢（上限）"), null=True, blank=True)
    sex = models.CharField(_("対象の性別"), max_length=1, blank=True)
    address = models.CharField(_("所在地"), max_length=200, blank=True)
    latitude = models.DecimalField(_("緯度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("経度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    synthetic = models.BooleanField(_("デモ用の架空データ"), default=False)
    active = models.BooleanField(_("公開"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("予約対象")
        verbose_name_plural = _("予約対象")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (Japanese when no English name is set)."""
        return self.name_en if get_language() == "en" and self.name_en else self.name_ja

    @property
    def has_fee(self) -> bool:
        return bool(self.fee_resident_yen or self.fee_nonresident_yen)


class ClosedDay(models.Model):
    """A day a resource (or, with no resource, every resource) takes no bookings."""

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="closed_days"
    )
    date = models.DateField(_("日付"))
    reason = models.CharField(_("理由"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "date"], name="bookings_closed_once")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class Status(models.TextChoices):
    PROVISIONAL = "provisional", _("仮予約（支払待ち）")
    CONFIRMED = "confirmed", _("予約確定")
    CHECKED_IN = "checked_in", _("受付済み")
    NO_SHOW = "no_show", _("無断不参加")
    CANCELLED = "cancelled", _("取消")
    BLOCKED = "blocked", _("受付停止")


# Statuses in which a booking occupies its seat; a cancelled one gives it back.
HOLDING = [Status.PROVISIONAL, Status.CONFIRMED, Status.CHECKED_IN, Status.NO_SHOW, Status.BLOCKED]


class Channel(models.TextChoices):
    WEB = "web", _("インターネット")
    PHONE = "phone", _("電話")
    COUNTER = "counter", _("窓口")


class Origin(models.TextChoices):
    """How the booking came about: asked for directly, won in a lottery, offered from a
    waiting list (the last two are held until the winner or the person offered confirms)."""

    DIRECT = "direct", _("先着順")
    LOTTERY = "lottery", _("抽選")
    WAITLIST = "waitlist", _("キャンセル待ち")


class FeeCategory(models.TextChoices):
    NONE = "none", _("無料")
    RESIDENT = "resident", _("市内料金")
    NONRESIDENT = "nonresident", _("市外料金")


class Booking(models.Model):
    """One seat of one slot of a resource, for a party, held from ``start`` to ``end`` (UTC)."""

    personal_data = True

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField(_("開始"))
    end = models.DateTimeField(_("終了"))
    seat = models.PositiveSmallIntegerField(_("席番号"), default=1)
    party_size = models.PositiveSmallIntegerField(_("利用人数"), default=1)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
    )
    holder_name = models.CharField(_("予約者名"), max_length=120, blank=True)
    holder_phone = models.CharField(_("連絡先電話番号"), max_length=20, blank=True)
    purpose = models.CharField(_("利用目的"), max_length=200, blank=True)
    group = models.ForeignKey(
        "UserGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("利用団体"),
    )
    status = models.CharField(_("状態"), max_length=12, choices=Status.choices)
    channel = models.CharField(_("受付経路"), max_length=8, choices=Channel.choices)
    origin = models.CharField(
        _("予約の経緯"), max_length=8, choices=Origin.choices, default=Origin.DIRECT
    )
    fee_category = models.CharField(
        _("料金区分"), max_length=12, choices=FeeCategory.choices, default=FeeCategory.NONE
    )
    exemption = models.CharField(_("減免"), max_length=40, blank=True)
    fee_yen = models.PositiveIntegerField(_("使用料（円）"), default=0)
    payment_due_by = models.DateTimeField(_("支払期限"), null=True, blank=True)
    paid_at = models.DateTimeField(_("支払日時"), null=True, blank=True)
    created_at = models.DateTimeField(_("受付日時"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消理由"), max_length=200, blank=True)
    checked_in_at = models.DateTimeField(_("到着日時"), null=True, blank=True)
    served_at = models.DateTimeField(_("対応開始日時"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("前日のお知らせ送信日時"), null=True, blank=True)

    class Meta:
        ordering = ["start", "seat"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "start", "seat"],
                condition=Q(status__in=HOLDING),
                name="bookings_one_holder_per_seat",
            ),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="bookings_end"),
        ]
        indexes = [models.Index(fields=["resource", "start"], name="bookings_slot")]
        verbose_name = _("予約")
        verbose_name_plural = _("予約")

    def __str__(self) -> str:
        return f"{self.resource.code} {self.start:%Y-%m-%d %H:%M} #{self.seat}"

    @property
    def reference(self) -> str:
        """The number a resident quotes on the phone (予約番号)."""
        return f"B{self.pk:07d}"


class MonthlyUse(models.Model):
    """How many holding bookings one holder has of one resource in one month (Tokyo), kept
    beside the bookings so the database itself refuses one beyond the monthly quota: the
    check constraint of each concrete counter fails for the request that would exceed it,
    however many race."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    used = models.PositiveSmallIntegerField(default=0)
    limit = models.PositiveSmallIntegerField()

    class Meta:
        abstract = True


class QuotaUse(MonthlyUse):
    """The counter per user (``Resource.monthly_quota``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "resource", "month"], name="bookings_quota_per_month"
            ),
            models.CheckConstraint(
                condition=Q(used__lte=models.F("limit")), name="bookings_quota_within_limit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.resource_id} {self.month:%Y-%m}: {self.used}/{self.limit}"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("審査中")
    APPROVED = "approved", _("承認")
    REJECTED = "rejected", _("不承認")


class Reviewed(models.Model):
    """What staff review (a group, a user's registration): pending until a clerk approves or
    rejects it; a rejection carries the reason the applicant reads (``review.decide``)."""

    status = models.CharField(
        _("状態"), max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    review_reason = models.CharField(_("審査の理由"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("審査日時"), null=True, blank=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        abstract = True


class UserGroup(Reviewed):
    """A group registered by its representative (団体登録) and reviewed by staff: only an
    approved group may book for itself, and its share of members living in the city decides
    whether it pays the 市内 rate (``groups.pays_resident_rate``)."""

    personal_data = True

    name = models.CharField(_("団体名"), max_length=120)
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="booking_groups",
        verbose_name=_("代表者"),
    )
    phone = models.CharField(_("連絡先電話番号"), max_length=20)
    member_count = models.PositiveSmallIntegerField(_("会員数"))
    resident_percent = models.PositiveSmallIntegerField(_("市内在住者の割合（％）"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident_percent__lte=100), name="bookings_group_percent"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(review_reason=""),
                name="bookings_group_rejected_with_reason",
            ),
        ]
        verbose_name = _("登録団体")
        verbose_name_plural = _("登録団体")

    def __str__(self) -> str:
        return self.name

    @property
    def applicant(self) -> Any:
        """Whom the review's decision is told to."""
        return self.representative


class UserRegistration(Reviewed):
    """A person's 利用者登録 (facility user registration): a resource marked
    ``registration_required`` takes bookings only from an account whose registration is
    approved. Holds the name, address and phone the person gave (personal data). An account
    linked to a living resident is approved at once (``verified_by_registry``): the registry
    already verified who they are; any other waits for staff review."""

    personal_data = True

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="booking_registration",
        verbose_name=_("アカウント"),
    )
    name = models.CharField(_("氏名"), max_length=120, blank=True)
    address = models.CharField(_("住所"), max_length=200, blank=True)
    phone = models.CharField(_("連絡先電話番号"), max_length=20, blank=True)
    verified_by_registry = models.BooleanField(_("住民記録で本人確認済み"), default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(review_reason=""),
                name="bookings_registration_rejected_with_reason",
            ),
        ]
        verbose_name = _("利用者登録")
        verbose_name_plural = _("利用者登録")

    def __str__(self) -> str:
        return self.name or str(self.user)

    @property
    def applicant(self) -> Any:
        return self.user


class GroupQuotaUse(MonthlyUse):
    """The counter per registered group (``Resource.monthly_group_quota``)."""

    group = models.ForeignKey(UserGroup, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "resource", "month"], name="bookings_group_quota_per_month"
            ),
            models.CheckConstraint(
                condition=Q(used__lte=models.F("limit")), name="bookings_group_quota_within_limit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.resource_id} {self.month:%Y-%m}: {self.used}/{self.limit}"


class AvailabilityView(models.Model):
    """How often the public looked at a resource's availability on a day (the day of the
    look, in Tokyo): the proxy for phone calls saved (strategy ⑥)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="views")
    date = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "date"], name="bookings_view_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.date}: {self.count}"


class LotteryWindow(models.Model):
    """A lottery (抽選) for one resource's slots in one future month: entries are taken between
    ``opens_at`` and ``closes_at``; until the draw those slots cannot be booked directly.

    The draw's ``seed`` is generated at draw time, stored and published with the results so
    anyone can re-run the draw (``lottery.rerun``) and get the same winners.
    """

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="lotteries")
    month = models.DateField(_("対象月"), help_text=_("その月の1日。"))
    opens_at = models.DateTimeField(_("申込開始"))
    closes_at = models.DateTimeField(_("申込締切"))
    confirm_days = models.PositiveSmallIntegerField(
        _("当選者の確定期限（抽選から何日）"), default=7
    )
    seed = models.CharField(_("抽選のシード"), max_length=64, blank=True)
    drawn_at = models.DateTimeField(_("抽選日時"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "resource"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "month"], name="bookings_lottery_month"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="bookings_lottery_window"
            ),
        ]
        verbose_name = _("抽選")
        verbose_name_plural = _("抽選")

    def __str__(self) -> str:
        return f"{self.resource.code} {self.month:%Y-%m}"


class EntryStatus(models.TextChoices):
    ENTERED = "entered", _("申込済み")
    WON = "won", _("当選")
    LOST = "lost", _("落選")


class LotteryEntry(models.Model):
    """One user's entry for one slot of a lottery (one per slot and user), for themself or
    for a registered group they represent (the win is then the group's booking)."""

    personal_data = True

    window = models.ForeignKey(LotteryWindow, on_delete=models.CASCADE, related_name="entries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lottery_entries"
    )
    start = models.DateTimeField(_("希望の枠"))
    party_size = models.PositiveSmallIntegerField(_("利用人数"), default=1)
    group = models.ForeignKey(
        UserGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lottery_entries",
        verbose_name=_("利用団体"),
    )
    status = models.CharField(
        _("状態"), max_length=8, choices=EntryStatus.choices, default=EntryStatus.ENTERED
    )
    booking = models.OneToOneField(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="lottery_entry"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["window", "user", "start"], name="bookings_one_entry_per_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.window} #{self.pk}"


class WaitStatus(models.TextChoices):
    WAITING = "waiting", _("順番待ち")
    OFFERED = "offered", _("空きのご案内中")
    DONE = "done", _("案内済み")
    WITHDRAWN = "withdrawn", _("取り下げ")


class WaitlistEntry(models.Model):
    """A place in the waiting list (キャンセル待ち) of one full slot, for the user or a group they
    represent. A freed seat is held for the first in line as a provisional booking until the
    offer lapses, then the next."""

    personal_data = True

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="waitlist")
    start = models.DateTimeField(_("希望の枠"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    party_size = models.PositiveSmallIntegerField(_("利用人数"), default=1)
    group = models.ForeignKey(
        UserGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        verbose_name=_("利用団体"),
    )
    status = models.CharField(
        _("状態"), max_length=10, choices=WaitStatus.choices, default=WaitStatus.WAITING
    )
    booking = models.OneToOneField(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_entry"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "start", "user"],
                condition=Q(status__in=["waiting", "offered"]),
                name="bookings_wait_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.start:%Y-%m-%d %H:%M} {self.user_id}"


# The check-up models live in their own module; importing it here registers them with the app.
import musubi.citizen.bookings.checkup_models  # noqa: E402, F401
