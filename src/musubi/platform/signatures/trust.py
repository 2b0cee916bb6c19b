"""Trust anchors and revocation lists configured by the operator, and CMS blobs from residents.

Anchors (``MUSUBI_SIGNATURE_TRUST_ANCHORS``) and CRLs (``MUSUBI_SIGNATURE_CRLS``) are a
file or a directory of PEM or DER files, read at each verification so a refreshed CRL
takes effect without a restart (they are small and verification is rare).
"""

from __future__ import annotations

import re
from pathlib import Path

from asn1crypto import cms, pem
from cryptography import x509

MAX_CMS_BYTES = 1024 * 1024
_CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}
_CRL_SUFFIXES = {".pem", ".crl", ".der"}
_PEM_CRL = re.compile(rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----", re.DOTALL)


class TrustStoreError(ValueError):
    """A configured anchor or CRL file cannot be read; the message names it."""


class MalformedSignature(ValueError):
    """The blob is not a CMS SignedData (DER or PEM)."""


def _files(location: str, suffixes: set[str]) -> list[Path]:
    if not location:
        return []
    path = Path(location)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix.lower() in suffixes and p.is_file())
    if path.is_file():
        return [path]
    raise TrustStoreError(f"{location}: no such file or directory")


def load_certificates(location: str) -> list[x509.Certificate]:
    certificates = []
    for path in _files(location, _CERT_SUFFIXES):
        data = path.read_bytes()
        try:
            if b"-----BEGIN" in data:
                certificates += x509.load_pem_x509_certificates(data)
            else:
                certificates.append(x509.load_der_x509_certificate(data))
        except ValueError as exc:
            raise TrustStoreError(f"{path}: not a certificate: {exc}") from exc
    return certificates


def load_crls(location: str) -> list[x509.CertificateRevocationList]:
    crls = []
    for path in _files(location, _CRL_SUFFIXES):
        data = path.read_bytes()
        try:
            if b"-----BEGIN" in data:
                crls += [x509.load_pem_x509_crl(block) for block in _PEM_CRL.findall(data)]
            else:
                crls.append(x509.load_der_x509_crl(data))
        except ValueError as exc:
            raise TrustStoreError(f"{path}: not a CRL: {exc}") from exc
    return crls


def to_der(blob: bytes) -> bytes:
    """DER of a ``.p7s`` given as DER or PEM (``-----BEGIN PKCS7-----`` / ``CMS``)."""
    if len(blob) > MAX_CMS_BYTES:
        raise MalformedSignature("too large")
    if blob.lstrip().startswith(b"-----BEGIN"):
        try:
            _kind, _headers, blob = pem.unarmor(blob.strip())
        except (ValueError, TypeError) as exc:
            raise MalformedSignature(f"bad PEM: {exc}") from exc
    return blob


def parse_signed_data(blob: bytes) -> cms.SignedData:
    """The SignedData inside a ContentInfo, fully parsed (asn1crypto parses lazily)."""
    try:
        info = cms.ContentInfo.load(to_der(blob), strict=True)
        if info["content_type"].native != "signed_data":
            raise MalformedSignature("not SignedData")
        signed = info["content"]
        signed.native  # noqa: B018 - forces parsing of every nested field now
    except MalformedSignature:
        raise
    except Exception as exc:  # asn1crypto raises many types for malformed input
        raise MalformedSignature(str(exc)) from exc
    return signed
