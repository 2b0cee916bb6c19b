"""Passkeys (WebAuthn) as a staff second factor, beside the TOTP authenticator app.

Each ceremony has two halves: the server issues options with a fresh challenge (kept in
the session, bound to one purpose and one account, valid for a few minutes, usable once),
and the browser answers with what the authenticator signed. Only the public key and the
authenticator's counter are stored.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from musubi.platform.accounts import mfa
from musubi.platform.accounts.models import Passkey, User

CHALLENGE_KEY = "passkey_challenge"
CHALLENGE_SECONDS = 300
REGISTER = "register"
AUTHENTICATE = "authenticate"
NOT_USABLE_HERE = gettext_lazy(
    "このアドレスではパスキーを使えません。ドメイン名のアドレス（MUSUBI_SITE_URL）で開いてください。"
)
LAST_FACTOR = gettext_lazy(
    "最後の第二要素は削除できません。先に別のパスキーか認証アプリを登録してください。"
)
# What a malformed browser answer can raise inside py_webauthn besides its own exceptions.
_BAD_INPUT = (WebAuthnException, ValueError, TypeError, KeyError)


class PasskeyError(Exception):
    """A ceremony or change that was refused; the message is shown to the staff member."""


class LastFactorError(PasskeyError):
    """Removing this passkey would leave the account without any second factor."""


@dataclass(frozen=True)
class RelyingParty:
    """Who asks for the passkey (the WebAuthn relying party) and the origins it answers on."""

    id: str
    name: str
    origins: tuple[str, ...]


def relying_party(request: HttpRequest) -> RelyingParty:
    """The RP id from MUSUBI_WEBAUTHN_RP_ID (or the host of MUSUBI_SITE_URL).

    The origin of MUSUBI_SITE_URL is always expected; the request's own origin too when its
    host (already checked against ALLOWED_HOSTS by Django) lies within the RP id, so that an
    instance reached through another allowed name of the same domain still works.
    """
    site = urlsplit(settings.SITE_URL)
    rp_id = settings.WEBAUTHN_RP_ID or site.hostname or ""
    origins = [f"{site.scheme}://{site.netloc}"]
    own = f"{request.scheme}://{request.get_host()}"
    if _within(_host(request), rp_id) and own not in origins:
        origins.append(own)
    return RelyingParty(id=rp_id, name=mfa.ISSUER_NAME, origins=tuple(origins))


def _host(request: HttpRequest) -> str:
    """The request's host name, without the port."""
    return urlsplit(f"//{request.get_host()}").hostname or ""


def _within(host: str, rp_id: str) -> bool:
    return bool(rp_id) and (host == rp_id or host.endswith("." + rp_id))


def usable_here(request: HttpRequest) -> bool:
    """Browsers bind passkeys to a domain name, never to an IP address, and offer them only
    on pages whose host lies within it; elsewhere the pages say so instead of failing."""
    rp_id = relying_party(request).id
    try:
        ipaddress.ip_address(rp_id.strip("[]"))
    except ValueError:
        return _within(_host(request), rp_id)
    return False


def has_passkey(user: User) -> bool:
    return Passkey.objects.filter(user=user).exists()


def has_second_factor(user: User) -> bool:
    """Whether the staff member can pass the second step (else they must enrol first)."""
    return mfa.has_confirmed_device(user) or has_passkey(user)


def passkeys_of(user: User) -> list[Passkey]:
    return list(Passkey.objects.filter(user=user))


# --- challenges: one at a time per session, for one purpose and one account, used once --------


def _issue_challenge(request: HttpRequest, purpose: str, user: User) -> bytes:
    challenge = secrets.token_bytes(32)
    request.session[CHALLENGE_KEY] = {
        "purpose": purpose,
        "user": user.pk,
        "challenge": bytes_to_base64url(challenge),
        "expires": timezone.now().timestamp() + CHALLENGE_SECONDS,
    }
    return challenge


def _take_challenge(request: HttpRequest, purpose: str, user: User) -> bytes:
    """Remove the pending challenge and return it; a missing, stale or foreign one is refused."""
    issued = request.session.pop(CHALLENGE_KEY, None)
    fresh = (
        isinstance(issued, dict)
        and issued.get("purpose") == purpose
        and issued.get("user") == user.pk
        and issued.get("expires", 0) > timezone.now().timestamp()
    )
    if not fresh:
        raise PasskeyError(_("パスキーの確認の有効期限が切れました。もう一度お試しください。"))
    return base64url_to_bytes(issued["challenge"])


def _user_handle(user: User) -> bytes:
    """A stable, opaque WebAuthn user id: authenticators never learn the email or the pk."""
    return salted_hmac("musubi.accounts.passkey", str(user.pk), algorithm="sha256").digest()


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(passkey.credential_id),
            transports=[AuthenticatorTransport(t) for t in passkey.transports],
        )
        for passkey in passkeys_of(user)
    ]


# --- registration ---------------------------------------------------------------------------


def registration_options(request: HttpRequest, user: User) -> str:
    """Options (JSON) for navigator.credentials.create(); the user's own keys are excluded."""
    rp = relying_party(request)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=_user_handle(user),
        user_name=user.email,
        user_display_name=str(user),
        challenge=_issue_challenge(request, REGISTER, user),
        timeout=CHALLENGE_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    return options_to_json(options)


def _parse_registration(response: str) -> RegistrationCredential:
    try:
        return parse_registration_credential_json(response)
    except _BAD_INPUT as exc:
        raise PasskeyError(_("パスキーの応答を読み取れませんでした。")) from exc


def register(request: HttpRequest, user: User, name: str, response: str) -> Passkey:
    """Verify the browser's answer to the registration options and keep the new passkey."""
    challenge = _take_challenge(request, REGISTER, user)
    credential = _parse_registration(response)
    rp = relying_party(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
        )
    except _BAD_INPUT as exc:
        raise PasskeyError(_("パスキーを登録できませんでした。もう一度お試しください。")) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        raise PasskeyError(_("このパスキーは既に登録されています。"))
    return Passkey.objects.create(
        user=user,
        name=name,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t.value for t in credential.response.transports or []],
    )


# --- authentication (the second step of the staff login) ------------------------------------


def authentication_options(request: HttpRequest, user: User) -> str:
    """Options (JSON) for navigator.credentials.get(), allowing only this user's passkeys."""
    rp = relying_party(request)
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=_issue_challenge(request, AUTHENTICATE, user),
        timeout=CHALLENGE_SECONDS * 1000,
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options)


def _parse_assertion(response: str) -> AuthenticationCredential:
    try:
        return parse_authentication_credential_json(response)
    except _BAD_INPUT as exc:
        raise PasskeyError(_("パスキーの応答を読み取れませんでした。")) from exc


def authenticate(request: HttpRequest, user: User, response: str) -> Passkey:
    """Verify the browser's answer to the authentication options; return the passkey used."""
    challenge = _take_challenge(request, AUTHENTICATE, user)
    credential = _parse_assertion(response)
    passkey = Passkey.objects.filter(
        user=user, credential_id=bytes_to_base64url(credential.raw_id)
    ).first()
    if passkey is None:
        raise PasskeyError(_("このパスキーは登録されていません。"))
    rp = relying_party(request)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=0,  # compared below, once the signature holds
        )
    except _BAD_INPUT as exc:
        raise PasskeyError(_("パスキーを確認できませんでした。")) from exc
    _check_counter(passkey, verified.new_sign_count)
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])
    return passkey


def _check_counter(passkey: Passkey, new_count: int) -> None:
    """A counter that does not move forward means a second copy of the key may exist.

    Authenticators that keep no counter always report 0; only when either side is non-zero
    must the new value exceed the stored one. Checked after the signature, so that only a
    genuinely signed answer can reveal a cloned key.
    """
    if (new_count or passkey.sign_count) and new_count <= passkey.sign_count:
        raise PasskeyError(
            _("このパスキーは複製された可能性があるため使えません。管理者に連絡してください。")
        )


# --- managing one's passkeys ----------------------------------------------------------------


def name_is_free(user: User, name: str) -> bool:
    return not Passkey.objects.filter(user=user, name=name).exists()


def is_last_factor(user: User) -> bool:
    """True when the user's only second factor is a single passkey (no TOTP device)."""
    return not mfa.has_confirmed_device(user) and Passkey.objects.filter(user=user).count() <= 1


def remove(user: User, passkey_id: int) -> str:
    """Delete one of ``user``'s passkeys and return its name; the last second factor stays.

    The account row is locked so that two removals at once cannot both pass the check.
    """
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        passkey = Passkey.objects.get(user=user, pk=passkey_id)
        if is_last_factor(user):
            raise LastFactorError(LAST_FACTOR)
        passkey.delete()
    return passkey.name
