"""The resident registry (住民基本台帳-like): people, households, addresses, and their history.

The current state lives on Resident and Household; every change is also a ResidenceEvent
with an effective date, so "who lived where on date D" is answered from the events.
Rows change only through ``services`` (one write path that validates and publishes).
There is deliberately no 個人番号 (My Number) field anywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from musubi.platform.residents.text import address_form, name_key


class Area(models.TextChoices):
    """The three 地区 of Komagane into which the 区 are grouped."""

    AKAHO = "akaho", _("赤穂")
    NAKAZAWA = "nakazawa", _("中沢")
    HIGASHIINA = "higashiina", _("東伊那")


class District(models.Model):
    """A 区 (self-governing neighbourhood association area)."""

    code = models.SlugField(_("コード"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=30, unique=True)
    name_en = models.CharField(_("英語名"), max_length=60)
    area = models.CharField(_("地区"), max_length=20, choices=Area.choices)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        verbose_name = _("区")
        verbose_name_plural = _("区")

    def __str__(self) -> str:
        return self.name


class Kumi(models.Model):
    """A 組, the smallest unit of a 区 (circulars go round a 組)."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="kumi")
    number = models.PositiveSmallIntegerField(_("組番号"))

    class Meta:
        ordering = ["district__order", "number"]
        constraints = [
            models.UniqueConstraint(fields=["district", "number"], name="unique_kumi_per_district")
        ]
        verbose_name = _("組")
        verbose_name_plural = _("組")

    def __str__(self) -> str:
        return f"{self.district.name}{self.number}組"


class Address(models.Model):
    """A place people live: 郵便番号, 町字, 番地, 方書 and coordinates."""

    personal_data = True

    postal_code = models.CharField(_("郵便番号"), max_length=8)
    town = models.CharField(_("町字"), max_length=60)
    banchi = models.CharField(_("番地"), max_length=60)
    building = models.CharField(_("建物名等（方書）"), max_length=100, blank=True)
    latitude = models.FloatField(_("緯度"), null=True, blank=True)
    longitude = models.FloatField(_("経度"), null=True, blank=True)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="addresses")
    kumi = models.ForeignKey(
        Kumi, on_delete=models.PROTECT, null=True, blank=True, related_name="addresses"
    )
    search_key = models.CharField(max_length=240, editable=False, db_index=True)

    class Meta:
        verbose_name = _("住所")
        verbose_name_plural = _("住所")

    def __str__(self) -> str:
        return " ".join(part for part in (self.town + self.banchi, self.building) if part)

    def save(self, *args, **kwargs) -> None:
        self.refresh_key()
        super().save(*args, **kwargs)

    def refresh_key(self) -> None:
        """Recompute the normalised form searched by staff (bulk writers call this too)."""
        self.search_key = address_form(f"{self.town}{self.banchi}{self.building}")


class Household(models.Model):
    """A 世帯: the people registered together, one of whom is the 世帯主 (head)."""

    personal_data = True

    number = models.CharField(_("世帯番号"), max_length=12, unique=True)
    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="households")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="households")
    kumi = models.ForeignKey(
        Kumi, on_delete=models.PROTECT, null=True, blank=True, related_name="households"
    )
    head = models.ForeignKey(
        "Resident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("世帯")
        verbose_name_plural = _("世帯")

    def __str__(self) -> str:
        return self.number


class Sex(models.TextChoices):
    """ISO/IEC 5218 codes, as used in Japanese administrative data."""

    MALE = "1", _("男")
    FEMALE = "2", _("女")
    NOT_KNOWN = "0", _("不明")
    NOT_APPLICABLE = "9", _("適用不能")


class Relationship(models.TextChoices):
    """続柄 to the 世帯主, as written in the registry."""

    HEAD = "世帯主", _("世帯主")
    SPOUSE = "妻", _("妻")
    HUSBAND = "夫", _("夫")
    CHILD = "子", _("子")
    FATHER = "父", _("父")
    MOTHER = "母", _("母")
    GRANDCHILD = "孫", _("孫")
    CHILD_IN_LAW = "子の妻", _("子の妻")
    SON_IN_LAW = "子の夫", _("子の夫")
    SIBLING = "兄弟姉妹", _("兄弟姉妹")
    GRANDPARENT = "祖父母", _("祖父母")
    RELATIVE = "その他の親族", _("その他の親族")
    COHABITANT = "同居人", _("同居人")


class Status(models.TextChoices):
    ACTIVE = "active", _("住民")
    MOVED_OUT = "moved_out", _("転出")
    DECEASED = "deceased", _("死亡")


class Resident(models.Model):
    """One person on the registry; ``number`` is an internal 宛名番号-like identifier."""

    personal_data = True

    number = models.CharField(_("宛名番号"), max_length=12, unique=True)
    family_name = models.CharField(_("氏"), max_length=60)
    given_name = models.CharField(_("名"), max_length=60)
    family_name_kana = models.CharField(_("氏（フリガナ）"), max_length=80)
    given_name_kana = models.CharField(_("名（フリガナ）"), max_length=80)
    birthdate = models.DateField(_("生年月日"), db_index=True)
    sex = models.CharField(_("性別"), max_length=1, choices=Sex.choices)
    nationality = models.CharField(_("国籍"), max_length=2, default="JP")
    preferred_language = models.CharField(_("希望言語"), max_length=8, default="ja")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    relationship = models.CharField(_("続柄"), max_length=10, choices=Relationship.choices)
    status = models.CharField(
        _("状態"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    name_key = models.CharField(max_length=200, editable=False)
    kana_key = models.CharField(max_length=200, editable=False)
    search_key = models.CharField(max_length=401, editable=False)

    class Meta:
        ordering = ["kana_key", "number"]
        indexes = [
            models.Index(fields=["name_key"], name="resident_name"),
        ]
        verbose_name = _("住民")
        verbose_name_plural = _("住民")

    def __str__(self) -> str:
        return f"{self.family_name} {self.given_name}"

    def save(self, *args, **kwargs) -> None:
        self.refresh_keys()
        super().save(*args, **kwargs)

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}"

    def refresh_keys(self) -> None:
        """Recompute the search keys (width-, kana- and space-insensitive forms of the name)."""
        self.name_key = name_key(self.family_name, self.given_name)
        self.kana_key = name_key(self.family_name_kana, self.given_name_kana)
        self.search_key = f"{self.name_key}|{self.kana_key}"


class ContactKind(models.TextChoices):
    EMAIL = "email", _("メール")
    PHONE = "phone", _("電話")
    MOBILE = "mobile", _("携帯電話")
    LINE = "line", _("LINE")
    WEBPUSH = "webpush", _("Webプッシュ通知")


class ContactPoint(models.Model):
    personal_data = True

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(_("種類"), max_length=10, choices=ContactKind.choices)
    # a Web Push subscription (endpoint URL and keys, as JSON) needs more than a phone number
    value = models.CharField(_("連絡先"), max_length=1000)
    verified = models.BooleanField(_("確認済み"), default=False)

    class Meta:
        verbose_name = _("連絡先")
        verbose_name_plural = _("連絡先")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class Consent(models.Model):
    """A purpose the resident agreed to (e.g. sharing with the 避難行動要支援者名簿 supporters)."""

    personal_data = True

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("目的"), max_length=100)
    granted_at = models.DateTimeField(_("同意日時"))
    withdrawn_at = models.DateTimeField(_("撤回日時"), null=True, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("同意")
        verbose_name_plural = _("同意")

    def __str__(self) -> str:
        return self.purpose

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class EventKind(models.TextChoices):
    MOVE_IN = "move_in", _("転入")
    MOVE_OUT = "move_out", _("転出")
    RELOCATE = "relocate", _("転居")
    BIRTH = "birth", _("出生")
    DEATH = "death", _("死亡")
    HOUSEHOLD_CHANGE = "household_change", _("世帯変更")


#: After these events the person no longer lives in the city.
LEAVING_EVENTS = (EventKind.MOVE_OUT, EventKind.DEATH)


class ResidenceEvent(models.Model):
    """One change in the registry, effective on ``effective_on``.

    ``household``, ``address`` and ``relationship`` are the person's state as of the
    event (for 転出/死亡: the last place they lived), so the latest event on or before
    a date tells where they lived then.
    """

    personal_data = True

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("異動の種類"), max_length=20, choices=EventKind.choices)
    effective_on = models.DateField(_("異動日"))
    recorded_at = models.DateTimeField(_("届出日時"), default=timezone.now)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.ForeignKey(
        Address, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    relationship = models.CharField(_("続柄"), max_length=10, blank=True)
    note = models.CharField(_("備考"), max_length=200, blank=True)

    class Meta:
        ordering = ["effective_on", "id"]
        indexes = [
            models.Index(fields=["resident", "effective_on"], name="event_resident_date"),
        ]
        verbose_name = _("異動")
        verbose_name_plural = _("異動")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.effective_on}"


class LinkMethod(models.TextChoices):
    OIDC = "oidc", _("デジタル認証アプリ")
    COUNTER = "counter", _("窓口での本人確認")
    DEMO = "demo", _("デモ")


class AccountLink(models.Model):
    """A resident's login linked to their registry record (what lets forms prefill)."""

    personal_data = True

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resident_link"
    )
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="account_links")
    linked_at = models.DateTimeField(_("連携日時"), default=timezone.now)
    method = models.CharField(_("確認方法"), max_length=10, choices=LinkMethod.choices)

    class Meta:
        verbose_name = _("アカウント連携")
        verbose_name_plural = _("アカウント連携")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.resident_id}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("待機中")
    VALIDATING = "validating", _("検査中")
    WRITING = "writing", _("書き込み中")
    SUCCEEDED = "succeeded", _("完了")
    FAILED = "failed", _("エラーあり")


class ImportJob(models.Model):
    """A CSV import started from the staff page and run as a background task.

    The uploaded bytes are kept in the row until the task has run, so a worker on
    another machine can read them without shared file storage.
    """

    personal_data = True

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    filename = models.CharField(_("ファイル名"), max_length=200)
    dry_run = models.BooleanField(_("検査のみ"), default=True)
    content = models.BinaryField(editable=False)
    status = models.CharField(
        _("状態"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    errors = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("取込ジョブ")
        verbose_name_plural = _("取込ジョブ")

    def __str__(self) -> str:
        return self.filename

    @property
    def running(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.VALIDATING, JobStatus.WRITING)

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        return int(100 * self.done / self.total) if self.total else 0
