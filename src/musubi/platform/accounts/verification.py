"""Resident sign-up and email verification: a signed, expiring link proves the address."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from musubi.platform.accounts.models import User

SALT = "musubi.accounts.email-verification"


class VerificationError(ValueError):
    """The link is broken, expired or for an address the account no longer has."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def register_resident(email: str, password: str, display_name: str = "") -> User:
    """Create an unverified resident account; it cannot log in until the email is verified."""
    user = User(
        email=email.strip(),
        username=email.strip().lower(),
        display_name=display_name.strip(),
        preferred_language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    user.set_password(password)
    user.save()
    return user


def make_token(user: User) -> str:
    """A token naming the account and its email, so changing the email voids old links."""
    return signing.dumps({"u": user.pk, "e": user.email.lower()}, salt=SALT, compress=True)


def verify_token(token: str) -> User:
    """Mark the account's email verified; raise VerificationError for a bad or stale link."""
    max_age = settings.EMAIL_VERIFICATION_HOURS * 3600
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise VerificationError(expired=True) from exc
    except signing.BadSignature as exc:
        raise VerificationError(expired=False) from exc
    user = User.objects.filter(pk=data.get("u"), email__iexact=data.get("e", "")).first()
    if user is None:
        raise VerificationError(expired=False)
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified"])
    return user


def send_verification(user: User) -> None:
    """Email the verification link, in the resident's language."""
    link = settings.SITE_URL.rstrip("/") + reverse("accounts:verify", args=[make_token(user)])
    context = {"user": user, "link": link, "hours": settings.EMAIL_VERIFICATION_HOURS}
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/verify_subject.txt", context).strip()
        body = render_to_string("accounts/email/verify_body.txt", context)
    send_mail(subject, body, None, [user.email])
