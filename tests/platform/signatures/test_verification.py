"""Verifying detached CMS signatures against our own CA hierarchy and CRLs."""

from __future__ import annotations

import pytest

from musubi.platform.signatures import services
from musubi.platform.signatures.results import Outcome, Status

from . import pki

DOCUMENT = services.canonical_document(
    {"procedure": "児童手当 認定請求", "children": [{"name": "駒ヶ根 一郎"}], "amount": 15000}
)


def outcome(result, item):
    return [c for c in result.checks if c.item == item][-1]


def failed(result) -> list[str]:
    return [c.key for c in result.checks if c.outcome == Outcome.FAILED]


def test_valid_signature(trusted):
    ca = trusted
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, ca.signer, (ca.intermediate,)))
    assert result.status == Status.VALID, [c.message for c in result.problems()]
    assert [c.item for c in result.checks] == [
        "format", "algorithm", "digest", "signature", "chain", "validity", "key_usage",
        "revocation", "revocation",
    ]  # fmt: skip
    assert "駒ヶ根 花子" in result.signer.subject
    assert result.signer.serial == format(ca.signer.cert.serial_number, "X")
    assert "Test JPKI Signing CA" in result.signer.issuer
    assert result.signing_time is not None
    assert "Test JPKI Root CA" in outcome(result, "chain").message


def test_valid_without_signed_attributes(trusted):
    ca = trusted
    cms = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,), attributes=False)
    result = services.verify(DOCUMENT, cms)
    assert result.status == Status.VALID
    assert result.signing_time is None
    assert "digest" not in [c.item for c in result.checks]


def test_valid_with_pss_padding(trusted):
    ca = trusted
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, ca.signer, (ca.intermediate,), pss=True))
    assert result.status == Status.VALID


def test_pem_signature_accepted(trusted):
    from asn1crypto import pem

    ca = trusted
    der = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,))
    result = services.verify(DOCUMENT, pem.armor("PKCS7", der))
    assert result.status == Status.VALID


def test_signer_certificate_not_included(trusted):
    ca = trusted
    cms = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,), certificates=False)
    assert failed(services.verify(DOCUMENT, cms)) == ["signer_missing"]
    known = [ca.signer.cert, ca.intermediate.cert]
    supplied = services.verify(DOCUMENT, cms, extra_certificates=known)
    assert supplied.status == Status.VALID


def test_tampered_document(trusted):
    ca = trusted
    cms = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,))
    result = services.verify(DOCUMENT.replace(b"15000", b"95000"), cms)
    assert result.status == Status.INVALID
    assert failed(result) == ["digest_changed"]
    assert "変更されています" in outcome(result, "digest").message


def test_tampered_document_without_attributes(trusted):
    ca = trusted
    cms = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,), attributes=False)
    assert failed(services.verify(DOCUMENT + b" ", cms)) == ["signature_bad"]


def test_tampered_signature_bytes(trusted):
    ca = trusted
    cms = bytearray(pki.sign(DOCUMENT, ca.signer, (ca.intermediate,)))
    cms[-5] ^= 0x01  # inside the signature value, the last field of the SignerInfo
    assert failed(services.verify(DOCUMENT, bytes(cms))) == ["signature_bad"]


def test_wrong_key(trusted, keys):
    ca = trusted
    cms = pki.hand_signed(DOCUMENT, ca.signer.cert, keys["other"], (ca.intermediate,))
    assert failed(services.verify(DOCUMENT, cms)) == ["signature_bad"]


def test_hand_built_cms_verifies(trusted):
    """The asn1crypto-built CMS used for the weak cases is itself verifiable when strong."""
    ca = trusted
    cms = pki.hand_signed(DOCUMENT, ca.signer.cert, ca.signer.key, (ca.intermediate,))
    assert services.verify(DOCUMENT, cms).status == Status.VALID


def test_unknown_root(ca, trust, keys):
    stranger = pki.issue("Other Root CA", keys["stranger"], ca=True)
    trust(anchors=[stranger.cert], crls=[pki.crl(ca.intermediate)])
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, ca.signer, (ca.intermediate,)))
    assert failed(result) == ["chain_untrusted"]


def test_no_anchor_configured_trusts_nothing(ca, trust):
    trust(anchors=[])
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, ca.signer, (ca.intermediate,)))
    assert failed(result) == ["chain_unconfigured"]


def test_intermediate_missing_from_cms(trusted):
    ca = trusted
    assert failed(services.verify(DOCUMENT, pki.sign(DOCUMENT, ca.signer))) == ["chain_untrusted"]


def test_expired_certificate(trusted, keys):
    ca = trusted
    old = pki.issue(
        "駒ヶ根 花子", keys["signer"], ca.intermediate,
        not_before=pki.NOW - 800 * pki.DAY, not_after=pki.NOW - 30 * pki.DAY,
    )  # fmt: skip
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, old, (ca.intermediate,)))
    assert failed(result) == ["expired"]
    assert "駒ヶ根 花子" in outcome(result, "validity").message


def test_not_yet_valid_certificate(trusted, keys):
    ca = trusted
    early = pki.issue(
        "駒ヶ根 花子", keys["signer"], ca.intermediate,
        not_before=pki.NOW + 10 * pki.DAY, not_after=pki.NOW + 400 * pki.DAY,
    )  # fmt: skip
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, early, (ca.intermediate,)))
    assert failed(result) == ["not_yet_valid"]


def test_revoked_certificate(ca, trust):
    trust(
        anchors=[ca.root.cert],
        crls=[pki.crl(ca.root), pki.crl(ca.intermediate, revoked=(ca.signer.cert,))],
    )
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, ca.signer, (ca.intermediate,)))
    assert result.status == Status.INVALID
    assert failed(result) == ["revoked"]


def test_revoked_intermediate(ca, trust):
    trust(
        anchors=[ca.root.cert],
        crls=[pki.crl(ca.root, revoked=(ca.intermediate.cert,)), pki.crl(ca.intermediate)],
    )
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, ca.signer, (ca.intermediate,)))
    assert failed(result) == ["revoked"]
    assert "Test JPKI Signing CA" in outcome(result, "revocation").message


def test_crl_signed_by_someone_else_is_no_evidence(ca, trust, keys):
    forged = pki.crl(ca.intermediate, revoked=(ca.signer.cert,), signed_by=keys["stranger"])
    trust(anchors=[ca.root.cert], crls=[pki.crl(ca.root), forged])
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, ca.signer, (ca.intermediate,)))
    assert result.status == Status.INDETERMINATE
    assert [c.key for c in result.problems()] == ["crl_forged"]


def test_stale_crl_is_indeterminate(ca, trust):
    stale = pki.crl(
        ca.intermediate, last_update=pki.NOW - 20 * pki.DAY, next_update=pki.NOW - 2 * pki.DAY
    )
    trust(anchors=[ca.root.cert], crls=[pki.crl(ca.root), stale])
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, ca.signer, (ca.intermediate,)))
    assert result.status == Status.INDETERMINATE
    assert [c.key for c in result.problems()] == ["crl_stale"]


def test_fresh_crl_preferred_over_stale(ca, trust):
    stale = pki.crl(
        ca.intermediate, last_update=pki.NOW - 20 * pki.DAY, next_update=pki.NOW - 2 * pki.DAY
    )
    trust(anchors=[ca.root.cert], crls=[pki.crl(ca.root), stale, pki.crl(ca.intermediate)])
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, ca.signer, (ca.intermediate,)))
    assert result.status == Status.VALID


def test_missing_crl_is_indeterminate(ca, trust):
    trust(anchors=[ca.root.cert], crls=[pki.crl(ca.root)])
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, ca.signer, (ca.intermediate,)))
    assert result.status == Status.INDETERMINATE
    assert [c.key for c in result.problems()] == ["crl_missing"]


def test_crls_inside_the_cms_are_used(ca, trust):
    trust(anchors=[ca.root.cert])
    cms = pki.hand_signed(
        DOCUMENT, ca.signer.cert, ca.signer.key, (ca.intermediate,),
        crls=(pki.crl(ca.root), pki.crl(ca.intermediate, revoked=(ca.signer.cert,))),
    )  # fmt: skip
    assert failed(services.verify(DOCUMENT, cms)) == ["revoked"]


def test_sha1_digest_too_weak(trusted):
    ca = trusted
    cms = pki.hand_signed(
        DOCUMENT, ca.signer.cert, ca.signer.key, (ca.intermediate,), digest="sha1"
    )
    result = services.verify(DOCUMENT, cms)
    assert failed(result) == ["weak_digest"]
    assert "SHA1" in outcome(result, "algorithm").message


def test_rsa_1024_too_weak(trusted, keys):
    ca = trusted
    weak = pki.issue("駒ヶ根 花子", keys["weak"], ca.intermediate)
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, weak, (ca.intermediate,)))
    assert failed(result) == ["weak_key"]
    assert "1024" in outcome(result, "algorithm").message


def test_issuer_that_is_not_a_ca(ca, trust, keys):
    not_ca = pki.issue("Not A CA", keys["intermediate"], ca.root, ca=False, usage=pki.CA_USAGE)
    signer = pki.issue("駒ヶ根 花子", keys["signer"], not_ca)
    trust(anchors=[ca.root.cert], crls=[pki.crl(ca.root), pki.crl(not_ca)])
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, signer, (not_ca,)))
    assert failed(result) == ["issuer_not_ca"]


def test_certificate_not_for_signing(trusted, keys):
    ca = trusted
    tls = pki.issue(
        "駒ヶ根 花子", keys["signer"], ca.intermediate, usage={"key_encipherment": True}
    )
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, tls, (ca.intermediate,)))
    assert failed(result) == ["key_usage_bad"]


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"garbage",
        b"\x30\x82\xff\xff\x06\x09",
        b"-----BEGIN PKCS7-----\nnot base64 at all!\n-----END PKCS7-----\n",
        b"\x00" * 5000,
    ],
)
def test_garbage_is_an_invalid_result_not_an_error(trusted, blob):
    result = services.verify(DOCUMENT, blob)
    assert result.status == Status.INVALID
    assert failed(result) == ["format_bad"]
    assert "読み取れません" in result.checks[0].message


def test_certificate_instead_of_signature(trusted):
    result = services.verify(DOCUMENT, pki.pem_of(trusted.signer.cert))
    assert failed(result) == ["format_bad"]


def test_truncated_signature(trusted):
    ca = trusted
    cms = pki.sign(DOCUMENT, ca.signer, (ca.intermediate,))
    assert failed(services.verify(DOCUMENT, cms[: len(cms) // 2])) == ["format_bad"]


def test_unreadable_trust_store_is_indeterminate_not_a_500(ca, settings, tmp_path):
    broken = tmp_path / "anchors.pem"
    broken.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    settings.SIGNATURE_TRUST_ANCHORS = str(broken)
    result = services.verify(DOCUMENT, pki.sign(DOCUMENT, ca.signer, (ca.intermediate,)))
    assert result.status == Status.INDETERMINATE
