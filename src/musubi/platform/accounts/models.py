"""People who log in: residents and staff, and the departments staff belong to."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A staff member's role within one department; grants attach to (department, role)."""

    CLERK = "clerk", _("担当")
    SUPERVISOR = "supervisor", _("係長")
    HEAD = "head", _("課長")
    ADMINISTRATOR = "administrator", _("管理者")


class AccountManager(UserManager):
    def get_by_natural_key(self, username: str) -> User:
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    """One login, identified by email; a resident account may be linked to a registry record."""

    email = models.EmailField(_("メールアドレス"), unique=True)
    email_verified = models.BooleanField(_("メール確認済み"), default=False)
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    preferred_language = models.CharField(_("言語"), max_length=8, default="ja")
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    objects = AccountManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    class Meta:
        verbose_name = _("アカウント")
        verbose_name_plural = _("アカウント")

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_staff_member(self) -> bool:
        return self.memberships.exists()


class Department(models.Model):
    """A 課 of the city. Permissions are granted per department, never city-wide by default."""

    code = models.SlugField(_("コード"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60, unique=True)
    name_en = models.CharField(_("英語名"), max_length=80)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("部署")
        verbose_name_plural = _("部署")

    def __str__(self) -> str:
        return self.name


class StaffMembership(models.Model):
    """A staff member holds one role in one department; a person may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="members")
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "department"], name="one_role_per_department")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.department} ({self.get_role_display()})"


class PermissionGrant(models.Model):
    """Role ``role`` in ``department`` may do ``permission`` (a code declared by an app)."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(max_length=20, choices=Role.choices)
    permission = models.CharField(max_length=80)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["department", "role", "permission"], name="unique_permission_grant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department.code}/{self.role}: {self.permission}"


class TotpDevice(models.Model):
    """A staff member's authenticator app; usable only once a code from it has been verified."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("認証アプリ")
        verbose_name_plural = _("認証アプリ")

    def __str__(self) -> str:
        return f"TOTP for {self.user}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A one-time code for when the authenticator is lost; only its SHA-256 digest is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "digest"], name="unique_recovery_code")
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.user}"


class ExternalIdentity(models.Model):
    """A login through an OpenID Connect provider: the pair (issuer, sub) names the person."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="external_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="unique_external_identity")
        ]
        verbose_name = _("外部ID")
        verbose_name_plural = _("外部ID")

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"


class Passkey(models.Model):
    """A staff member's WebAuthn credential (パスキー), usable instead of a TOTP code.

    Only the public key is kept; the private key never leaves the authenticator.
    ``sign_count`` is the authenticator's counter as last seen, to notice a cloned key.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(_("名前"), max_length=60)
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最終利用日時"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="unique_passkey_name")]
        verbose_name = _("パスキー")
        verbose_name_plural = _("パスキー")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"
