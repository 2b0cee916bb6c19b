"""Verifying a CMS (PKCS#7) detached signature the way a JPKI signature is verified.

The steps, each a ``Check`` in the result: read the SignedData; the algorithms are strong
enough (SHA-256 or better, RSA 2048 bits or more); the document is the one signed (the
``messageDigest`` signed attribute, whose DER - re-tagged as a SET - is what the signature
covers when attributes are present); the signature value verifies with the signer
certificate's key; the certificate chains through the certificates in the CMS to a
configured trust anchor, issuers being CAs; every certificate is within its validity
period at the signing time and now; the signer certificate is for signing (key usage);
and no certificate in the chain is revoked according to a CRL whose own signature by the
issuer verifies and which is not past its ``nextUpdate``.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from musubi.platform.signatures.results import Check, Outcome, Signer, VerificationResult
from musubi.platform.signatures.trust import MalformedSignature, parse_signed_data

MIN_RSA_BITS = 2048
MAX_CHAIN = 8
CLOCK_SKEW = datetime.timedelta(minutes=5)
DIGESTS = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}

PASSED, FAILED, UNKNOWN = Outcome.PASSED, Outcome.FAILED, Outcome.UNKNOWN


@dataclass(frozen=True)
class TrustStore:
    anchors: Sequence[x509.Certificate]
    crls: Sequence[x509.CertificateRevocationList]


class _Stop(Exception):
    """Verification cannot go on; the checks gathered so far are the result."""


def verify(
    document: bytes,
    blob: bytes,
    trust: TrustStore,
    *,
    now: datetime.datetime,
    extra_certificates: Sequence[x509.Certificate] = (),
) -> VerificationResult:
    run = _Run(document, now, trust)
    with contextlib.suppress(_Stop):
        run.all(blob, extra_certificates)
    return VerificationResult(
        checks=tuple(run.checks), checked_at=now, signer=run.signer, signing_time=run.signing_time
    )


def _name(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def _local(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


class _Run:
    """One verification: the checks so far and what they established."""

    def __init__(self, document: bytes, now: datetime.datetime, trust: TrustStore) -> None:
        self.document = document
        self.now = now
        self.trust = trust
        self.checks: list[Check] = []
        self.signer: Signer | None = None
        self.signing_time: datetime.datetime | None = None

    def add(self, item: str, outcome: Outcome, key: str, **params: str) -> None:
        self.checks.append(Check(item, outcome, key, params))

    def stop(self, item: str, key: str, **params: str) -> None:
        self.add(item, FAILED, key, **params)
        raise _Stop

    def all(self, blob: bytes, extra: Sequence[x509.Certificate]) -> None:
        signed, info, certificate, pool = self.read(blob, extra)
        self.algorithms(info, certificate)
        signed_bytes = self.digest(signed, info)
        self.signature(info, certificate, signed_bytes)
        path, anchor = self.chain(certificate, pool)
        self.validity([*path, anchor])
        self.key_usage(certificate)
        self.revocation(path, anchor, [*self.trust.crls, *self.included_crls(signed)])

    # --- reading ---------------------------------------------------------------------------

    def read(self, blob: bytes, extra: Sequence[x509.Certificate]):
        try:
            signed = parse_signed_data(blob)
            pool = [*self.included_certificates(signed), *extra]
        except (MalformedSignature, ValueError):
            self.stop("format", "format_bad")
        infos = signed["signer_infos"]
        if len(infos) != 1:
            self.stop("format", "signer_count", count=str(len(infos)))
        info = infos[0]
        certificate = next((c for c in pool if _identifies(info["sid"], c)), None)
        if certificate is None:
            self.stop("format", "signer_missing")
        self.add("format", PASSED, "format_ok")
        self.signer = Signer(
            subject=_name(certificate),
            serial=format(certificate.serial_number, "X"),
            issuer=certificate.issuer.rfc4514_string(),
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
        )
        return signed, info, certificate, pool

    @staticmethod
    def included_certificates(signed: cms.SignedData) -> list[x509.Certificate]:
        choices = signed["certificates"] if signed["certificates"].native else []
        return [
            x509.load_der_x509_certificate(choice.chosen.dump())
            for choice in choices
            if choice.name == "certificate"
        ]

    @staticmethod
    def included_crls(signed: cms.SignedData) -> list[x509.CertificateRevocationList]:
        choices = signed["crls"] if signed["crls"].native else []
        found = []
        for choice in choices:
            if choice.name == "crl":
                try:
                    found.append(x509.load_der_x509_crl(choice.chosen.dump()))
                except ValueError:
                    continue  # an unreadable CRL is no evidence either way
        return found

    # --- the signature itself --------------------------------------------------------------

    def algorithms(self, info: cms.SignerInfo, certificate: x509.Certificate) -> None:
        digest = info["digest_algorithm"]["algorithm"].native
        if digest not in DIGESTS:
            self.stop("algorithm", "weak_digest", name=str(digest).upper())
        mechanism = info["signature_algorithm"].signature_algo
        key = certificate.public_key()
        if mechanism not in ("rsassa_pkcs1v15", "rsassa_pss") or not isinstance(
            key, rsa.RSAPublicKey
        ):
            self.stop("algorithm", "unsupported", name=str(mechanism))
        if key.key_size < MIN_RSA_BITS:
            self.stop("algorithm", "weak_key", subject=_name(certificate), bits=str(key.key_size))
        self.add("algorithm", PASSED, "algorithm_ok", digest=digest.upper(), bits=str(key.key_size))

    def digest(self, signed: cms.SignedData, info: cms.SignerInfo) -> bytes:
        """The bytes the signature covers, after checking they commit to the document."""
        algorithm = info["digest_algorithm"]["algorithm"].native
        expected = hashlib.new(algorithm, self.document).digest()
        embedded = signed["encap_content_info"]["content"].native
        if embedded is not None and embedded != self.document:
            self.stop("digest", "digest_changed")
        attributes = info["signed_attrs"]
        if not attributes.native:
            return self.document
        values = {a["type"].native: a["values"] for a in attributes}
        content_type = values.get("content_type")
        message_digest = values.get("message_digest")
        if (
            not content_type
            or not message_digest
            or len(content_type) != 1
            or len(message_digest) != 1
            or content_type[0].native != signed["encap_content_info"]["content_type"].native
        ):
            self.stop("digest", "attributes_bad")
        if message_digest[0].native != expected:
            self.stop("digest", "digest_changed")
        if values.get("signing_time"):
            self.signing_time = values["signing_time"][0].native
        self.add("digest", PASSED, "digest_ok")
        return b"\x31" + attributes.dump()[1:]  # [0] IMPLICIT → SET OF, as signed

    def signature(self, info: cms.SignerInfo, certificate: x509.Certificate, data: bytes) -> None:
        algorithm = info["signature_algorithm"]
        digest = DIGESTS[info["digest_algorithm"]["algorithm"].native]()
        try:
            certificate.public_key().verify(
                info["signature"].native, data, _padding(algorithm), digest
            )
        except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
            self.stop("signature", "signature_bad")
        self.add("signature", PASSED, "signature_ok")

    # --- the certificate -------------------------------------------------------------------

    def chain(
        self, certificate: x509.Certificate, pool: list[x509.Certificate]
    ) -> tuple[list[x509.Certificate], x509.Certificate]:
        if not self.trust.anchors:
            self.stop("chain", "chain_unconfigured")
        path, anchor = _build_path(certificate, pool, self.trust.anchors)
        if anchor is None:
            self.stop("chain", "chain_untrusted")
        for position, issuer in enumerate([*path[1:], anchor]):
            if not _can_issue(issuer, below=position):
                self.stop("chain", "issuer_not_ca", subject=_name(issuer))
        for cert in path:
            key = cert.public_key()
            if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
                self.stop("chain", "weak_key", subject=_name(cert), bits=str(key.key_size))
        for cert in [*path, anchor]:
            if _unknown_critical(cert):
                self.stop("chain", "critical_extension", subject=_name(cert))
        self.add("chain", PASSED, "chain_ok", anchor=_name(anchor))
        return path, anchor

    def validity(self, certificates: list[x509.Certificate]) -> None:
        signed_at = self.signing_time or self.now
        if signed_at > self.now + CLOCK_SKEW:
            self.stop("validity", "future_signing", time=_local(signed_at))
        for cert in certificates:
            for moment in (signed_at, self.now):
                if moment < cert.not_valid_before_utc:
                    self.stop(
                        "validity", "not_yet_valid", subject=_name(cert),
                        time=_local(cert.not_valid_before_utc),
                    )  # fmt: skip
                if moment > cert.not_valid_after_utc:
                    self.stop(
                        "validity", "expired", subject=_name(cert),
                        time=_local(cert.not_valid_after_utc),
                    )  # fmt: skip
        self.add("validity", PASSED, "validity_ok", time=_local(signed_at))

    def key_usage(self, certificate: x509.Certificate) -> None:
        try:
            usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            self.stop("key_usage", "key_usage_bad")
        if not (usage.digital_signature or usage.content_commitment):
            self.stop("key_usage", "key_usage_bad")
        self.add("key_usage", PASSED, "key_usage_ok")

    def revocation(
        self,
        path: list[x509.Certificate],
        anchor: x509.Certificate,
        crls: Sequence[x509.CertificateRevocationList],
    ) -> None:
        issuers = [*path[1:], anchor]
        for cert, issuer in zip(path, issuers, strict=True):
            outcome, key, params = _revocation_status(cert, issuer, crls, self.now)
            if outcome == FAILED:
                self.stop("revocation", key, **params)
            self.add("revocation", outcome, key, **params)


def _identifies(sid: cms.SignerIdentifier, certificate: x509.Certificate) -> bool:
    if sid.name == "issuer_and_serial_number":
        parsed = asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))
        return (
            sid.chosen["serial_number"].native == certificate.serial_number
            and sid.chosen["issuer"] == parsed.issuer
        )
    try:
        ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return False
    return ski.value.digest == sid.chosen.native


def _padding(algorithm) -> padding.AsymmetricPadding:
    if algorithm.signature_algo != "rsassa_pss":
        return padding.PKCS1v15()
    params = algorithm["parameters"]
    mgf_hash = DIGESTS[params["mask_gen_algorithm"]["parameters"]["algorithm"].native]()
    return padding.PSS(mgf=padding.MGF1(mgf_hash), salt_length=params["salt_length"].native)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _build_path(
    certificate: x509.Certificate,
    pool: list[x509.Certificate],
    anchors: Sequence[x509.Certificate],
) -> tuple[list[x509.Certificate], x509.Certificate | None]:
    """Signer first, up through CMS-supplied intermediates, until an anchor issued the last."""
    path = [certificate]
    for _depth in range(MAX_CHAIN):
        current = path[-1]
        anchor = next((a for a in anchors if _issued_by(current, a)), None)
        if anchor is not None:
            return path, anchor
        issuer = next((c for c in pool if c not in path and _issued_by(current, c)), None)
        if issuer is None:
            return path, None
        path.append(issuer)
    return path, None


def _can_issue(issuer: x509.Certificate, below: int) -> bool:
    """A CA certificate whose path length allows ``below`` intermediates beneath it."""
    try:
        constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    if not constraints.ca or (
        constraints.path_length is not None and below > constraints.path_length
    ):
        return False
    try:
        usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return usage.key_cert_sign


def _unknown_critical(cert: x509.Certificate) -> bool:
    return any(
        ext.critical and isinstance(ext.value, x509.UnrecognizedExtension)
        for ext in cert.extensions
    )


def _revocation_status(
    cert: x509.Certificate,
    issuer: x509.Certificate,
    crls: Sequence[x509.CertificateRevocationList],
    now: datetime.datetime,
) -> tuple[Outcome, str, dict[str, str]]:
    named = [crl for crl in crls if crl.issuer == issuer.subject]
    genuine = [crl for crl in named if _crl_signed_by(crl, issuer)]
    if not genuine:
        if named:
            return UNKNOWN, "crl_forged", {"issuer": _name(issuer)}
        return UNKNOWN, "crl_missing", {"subject": _name(cert)}
    crl = max(genuine, key=lambda c: c.last_update_utc)
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if entry is not None:
        return (
            FAILED,
            "revoked",
            {"subject": _name(cert), "time": _local(entry.revocation_date_utc)},
        )
    if crl.next_update_utc is None or now > crl.next_update_utc:
        stale = crl.next_update_utc or crl.last_update_utc
        return UNKNOWN, "crl_stale", {"issuer": _name(issuer), "time": _local(stale)}
    return PASSED, "not_revoked", {"subject": _name(cert), "time": _local(crl.last_update_utc)}


def _crl_signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(issuer.public_key())
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False
