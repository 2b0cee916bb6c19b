"""Keys are slow to make, so they are made once; certificates and CRLs per test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from . import pki


def _key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@pytest.fixture(scope="session")
def keys():
    return {name: _key() for name in ("root", "intermediate", "signer", "other", "stranger")} | {
        "weak": _key(1024)
    }


@dataclass
class Hierarchy:
    root: pki.Party
    intermediate: pki.Party
    signer: pki.Party


@pytest.fixture
def ca(keys):
    root = pki.issue("Test JPKI Root CA", keys["root"], ca=True)
    intermediate = pki.issue("Test JPKI Signing CA", keys["intermediate"], root, ca=True)
    signer = pki.issue("駒ヶ根 花子", keys["signer"], intermediate)
    return Hierarchy(root, intermediate, signer)


@pytest.fixture
def trust(settings, tmp_path):
    """``trust(anchors=[...], crls=[...])`` writes the files and points the settings at them."""

    def configure(anchors=(), crls=()):
        anchor_file = tmp_path / "anchors.pem"
        anchor_file.write_bytes(pki.pem_of(*anchors))
        crl_dir = tmp_path / "crls"
        crl_dir.mkdir(exist_ok=True)
        for old in crl_dir.iterdir():
            old.unlink()
        for number, item in enumerate(crls):
            (crl_dir / f"{number}.crl").write_bytes(pki.pem_of(item))
        settings.SIGNATURE_TRUST_ANCHORS = str(anchor_file) if anchors else ""
        settings.SIGNATURE_CRLS = str(crl_dir)

    return configure


@pytest.fixture
def trusted(ca, trust):
    """The test root trusted, fresh CRLs of root and intermediate revoking nothing."""
    trust(anchors=[ca.root.cert], crls=[pki.crl(ca.root), pki.crl(ca.intermediate)])
    return ca
