"""A software authenticator, so unit tests can answer WebAuthn ceremonies for real.

It holds one EC P-256 key (COSE ES256) and builds exactly what a browser and authenticator
would send (WebAuthn Level 2): clientDataJSON (§5.8.1), authenticator data (§6.1) with
attested credential data (§6.5.1) at registration, a "none" attestation object in CBOR
(§6.5.4, §8.7), and at login an ECDSA signature over authenticatorData ‖ SHA-256(clientData)
(§6.3.3). Every part can be bent (origin, challenge, counter) to test the refusals.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_USER_PRESENT = 0x01
FLAG_USER_VERIFIED = 0x04
FLAG_ATTESTED_DATA = 0x40
AAGUID = bytes(16)  # "none" attestation: the authenticator does not say what model it is


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftKey:
    origin: str
    sign_count: int = 0
    credential_id: bytes = field(default_factory=lambda: os.urandom(16))
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    def cose_public_key(self) -> bytes:
        """The public key as a COSE_Key map: kty EC2, alg ES256, crv P-256, x, y."""
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def authenticator_data(self, rp_id: str, *, attested: bool) -> bytes:
        flags = FLAG_USER_PRESENT | FLAG_USER_VERIFIED | (FLAG_ATTESTED_DATA if attested else 0)
        data = hashlib.sha256(rp_id.encode()).digest()
        data += bytes([flags]) + self.sign_count.to_bytes(4, "big")
        if attested:
            data += AAGUID + len(self.credential_id).to_bytes(2, "big") + self.credential_id
            data += self.cose_public_key()
        return data

    def client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()

    def _credential(self, response: dict) -> str:
        identifier = b64url(self.credential_id)
        return json.dumps(
            {
                "id": identifier,
                "rawId": identifier,
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": response,
            }
        )

    def create(
        self, options: str, *, origin: str | None = None, challenge: str | None = None
    ) -> str:
        """Answer navigator.credentials.create() options (JSON) as the browser would."""
        public_key = json.loads(options)
        client_data = self.client_data(
            "webauthn.create", challenge or public_key["challenge"], origin
        )
        attestation = {
            "fmt": "none",
            "attStmt": {},
            "authData": self.authenticator_data(public_key["rp"]["id"], attested=True),
        }
        return self._credential(
            {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(cbor2.dumps(attestation)),
                "transports": ["internal"],
            }
        )

    def get(
        self,
        options: str,
        *,
        origin: str | None = None,
        challenge: str | None = None,
        rp_id: str | None = None,
        count: int | None = None,
    ) -> str:
        """Answer navigator.credentials.get() options (JSON): count up (or to ``count``), sign."""
        public_key = json.loads(options)
        allowed = [unb64url(c["id"]) for c in public_key.get("allowCredentials", [])]
        if allowed and self.credential_id not in allowed:
            raise LookupError("this authenticator holds none of the allowed credentials")
        self.sign_count = self.sign_count + 1 if count is None else count
        auth_data = self.authenticator_data(rp_id or public_key["rpId"], attested=False)
        client_data = self.client_data("webauthn.get", challenge or public_key["challenge"], origin)
        signature = self.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return self._credential(
            {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": None,
            }
        )
