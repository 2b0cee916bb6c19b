"""A small PKI for tests: root → intermediate → signer, CRLs, and CMS signatures over documents."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)
SIGNING_USAGE = {"digital_signature": True, "content_commitment": True}
CA_USAGE = {"key_cert_sign": True, "crl_sign": True}
_NO_USAGE = dict.fromkeys(
    (
        "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
        "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
    ),
    False,
)  # fmt: skip


@dataclass
class Party:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


def name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue(
    common_name: str,
    key: rsa.RSAPrivateKey,
    issuer: Party | None = None,
    *,
    ca: bool = False,
    usage: dict[str, bool] | None = None,
    not_before: dt.datetime = NOW - 30 * DAY,
    not_after: dt.datetime = NOW + 365 * DAY,
) -> Party:
    """A certificate for ``key`` issued by ``issuer`` (self-signed when None)."""
    usage = usage if usage is not None else (CA_USAGE if ca else SIGNING_USAGE)
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(common_name))
        .issuer_name(issuer.cert.subject if issuer else name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.KeyUsage(**{**_NO_USAGE, **usage}), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    cert = builder.sign(signing_key, hashes.SHA256())
    return Party(key, cert)


def crl(
    issuer: Party,
    revoked: tuple[x509.Certificate, ...] = (),
    *,
    last_update: dt.datetime = NOW - DAY,
    next_update: dt.datetime = NOW + 7 * DAY,
    signed_by: rsa.RSAPrivateKey | None = None,
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(last_update)
        .next_update(next_update)
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(NOW - DAY)
            .build()
        )
    return builder.sign(signed_by or issuer.key, hashes.SHA256())


def sign(
    document: bytes,
    signer: Party,
    chain: tuple[Party, ...] = (),
    *,
    attributes: bool = True,
    certificates: bool = True,
    pss: bool = False,
) -> bytes:
    """A detached CMS signature made by ``cryptography`` (OpenSSL), DER."""
    rsa_padding = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32) if pss else None
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(document)
        .add_signer(signer.cert, signer.key, hashes.SHA256(), rsa_padding=rsa_padding)
    )
    for party in chain:
        builder = builder.add_certificate(party.cert)
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    if not attributes:
        options.append(pkcs7.PKCS7Options.NoAttributes)
    if not certificates:
        options.append(pkcs7.PKCS7Options.NoCerts)
    return builder.sign(serialization.Encoding.DER, options)


def hand_signed(
    document: bytes,
    certificate: x509.Certificate,
    key: rsa.RSAPrivateKey,
    chain: tuple[Party, ...] = (),
    *,
    digest: str = "sha256",
    crls: tuple[x509.CertificateRevocationList, ...] = (),
) -> bytes:
    """A CMS built field by field with asn1crypto, for what OpenSSL will not make (SHA-1,
    a key that does not match the certificate, CRLs inside)."""
    cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    attributes = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.new(digest, document).digest()]}
            ),
        ]
    )
    algorithm = {"sha1": hashes.SHA1(), "sha256": hashes.SHA256()}[digest]
    signature = key.sign(attributes.dump(), padding.PKCS1v15(), algorithm)
    info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": cert.issuer,
                        "serial_number": cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": digest},
            "signed_attrs": attributes,
            "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
            "signature": signature,
        }
    )
    der = serialization.Encoding.DER
    signed = {
        "version": "v1",
        "digest_algorithms": [{"algorithm": digest}],
        "encap_content_info": {"content_type": "data"},
        "certificates": [cert]
        + [asn1_x509.Certificate.load(p.cert.public_bytes(der)) for p in chain],
        "signer_infos": [info],
    }
    if crls:
        signed["crls"] = [
            cms.RevocationInfoChoice({"crl": asn1_crl.CertificateList.load(c.public_bytes(der))})
            for c in crls
        ]
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def pem_of(*items) -> bytes:
    return b"".join(item.public_bytes(serialization.Encoding.PEM) for item in items)
