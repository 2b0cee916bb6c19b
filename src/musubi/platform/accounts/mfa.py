"""The staff second factor: a TOTP authenticator app, with one-time recovery codes as backup."""

from __future__ import annotations

import hashlib
import secrets

import pyotp
import segno
from django.db import transaction
from django.utils import timezone

from musubi.platform.accounts.models import RecoveryCode, TotpDevice, User

ISSUER_NAME = "Musubi"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def device_of(user: User) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user).first()


def has_confirmed_device(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def pending_device(user: User) -> TotpDevice:
    """The unconfirmed device being enrolled (a fresh secret if there is none yet)."""
    device, _ = TotpDevice.objects.get_or_create(
        user=user, defaults={"secret": pyotp.random_base32()}
    )
    return device


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.email, issuer_name=ISSUER_NAME
    )


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (no external image, works without JavaScript)."""
    return segno.make(uri, error="m").svg_inline(scale=5, title="QR")


def _normalise(code: str) -> str:
    return "".join(ch for ch in code if ch.isalnum()).upper()


def verify_code(device: TotpDevice, code: str) -> bool:
    """Accept a current code (±1 step for clock drift), each time step at most once."""
    totp = pyotp.TOTP(device.secret)
    now = timezone.now()
    for drift in (0, -1, 1):
        at = now.timestamp() + drift * totp.interval
        step = int(at // totp.interval)
        if step > device.last_used_step and secrets.compare_digest(totp.at(at), _normalise(code)):
            TotpDevice.objects.filter(pk=device.pk).update(last_used_step=step)
            device.last_used_step = step
            return True
    return False


def confirm_device(device: TotpDevice, code: str) -> list[str] | None:
    """Enable the device once ``code`` proves the app is set up; return fresh recovery codes."""
    if not verify_code(device, code):
        return None
    with transaction.atomic():
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])
        return issue_recovery_codes(device.user)


def _digest(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def issue_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the plain codes are shown once and never stored."""
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, digest=_digest(c)) for c in codes)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one unused recovery code; True when it was valid."""
    spent = RecoveryCode.objects.filter(
        user=user, digest=_digest(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return spent == 1


def verify_second_factor(user: User, code: str) -> bool:
    """A TOTP code from the confirmed device, or else an unused recovery code."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        return False
    return verify_code(device, code) or use_recovery_code(user, code)
