"""A software WebAuthn authenticator for tests: EC P-256 (ES256) credentials, "none"
attestation, assertions signed over authenticatorData + sha256(clientDataJSON).

It takes the options JSON the server produces (py_webauthn's options_to_json, as a dict or a
string) and returns the JSON shape py_webauthn's verify_registration_response and
verify_authentication_response accept (and browsers' PublicKeyCredential.toJSON() produce):

    {"id", "rawId", "type": "public-key", "response": {...}, "clientExtensionResults": {}}

with every binary value base64url-encoded without padding.

    authenticator = SoftWebAuthn()
    credential = authenticator.create(registration_options)   # navigator.credentials.create
    assertion = authenticator.get(authentication_options)     # navigator.credentials.get
"""

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_UP = 0x01  # user present
FLAG_UV = 0x04  # user verified
FLAG_AT = 0x40  # attested credential data included

COSE_KTY_EC2 = 2
COSE_ALG_ES256 = -7
COSE_CRV_P256 = 1

DEFAULT_RP_ID = "localhost"
DEFAULT_ORIGIN = "http://localhost:8000"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class NotAllowedError(Exception):
    """What a browser raises when no usable credential exists (or one is excluded)."""


@dataclass
class SoftCredential:
    credential_id: bytes
    private_key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: COSE_KTY_EC2,
                3: COSE_ALG_ES256,
                -1: COSE_CRV_P256,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


def _options(options: str | dict[str, Any]) -> dict[str, Any]:
    data = json.loads(options) if isinstance(options, str) else options
    return data.get("publicKey", data)  # accept {"publicKey": {...}} too


def _client_data(kind: str, challenge: str, origin: str) -> bytes:
    return json.dumps(
        {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False},
        separators=(",", ":"),
    ).encode()


@dataclass
class SoftWebAuthn:
    """Holds credentials like a platform authenticator; one instance per "device"."""

    origin: str = DEFAULT_ORIGIN
    aaguid: bytes = bytes(16)
    user_verified: bool = True
    credentials: dict[str, SoftCredential] = field(default_factory=dict)

    # ---- navigator.credentials.create -------------------------------------------------------

    def create(
        self,
        options: str | dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        challenge: str | None = None,
    ) -> dict[str, Any]:
        """A registration response with "none" attestation for `options`.

        `origin`, `rp_id` and `challenge` override what the options say, to build the responses
        a phishing page or a replay would produce.
        """
        opts = _options(options)
        rp_id = rp_id or opts.get("rp", {}).get("id") or DEFAULT_RP_ID
        excluded = {c["id"] for c in opts.get("excludeCredentials") or []}
        if excluded & set(self.credentials):
            raise NotAllowedError("a credential of this authenticator is excluded")
        credential = SoftCredential(
            credential_id=os.urandom(32),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=b64url_decode(opts["user"]["id"]),
        )
        flags = FLAG_UP | FLAG_AT | (FLAG_UV if self.user_verified else 0)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", credential.sign_count)
            + self.aaguid
            + struct.pack(">H", len(credential.credential_id))
            + credential.credential_id
            + credential.cose_public_key()
        )
        attestation_object = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = _client_data(
            "webauthn.create", challenge or opts["challenge"], origin or self.origin
        )
        self.credentials[credential.id] = credential
        return {
            "id": credential.id,
            "rawId": credential.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation_object),
                "transports": ["internal"],
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }

    # ---- navigator.credentials.get ----------------------------------------------------------

    def get(
        self,
        options: str | dict[str, Any],
        *,
        credential_id: str | None = None,
        origin: str | None = None,
        challenge: str | None = None,
    ) -> dict[str, Any]:
        """An assertion for `options` with one of this authenticator's credentials.

        Without `credential_id`, the first credential the options allow (or any for the RP when
        allowCredentials is empty, as with discoverable credentials).
        """
        opts = _options(options)
        rp_id = opts.get("rpId") or DEFAULT_RP_ID
        credential = self._pick(opts, rp_id, credential_id)
        credential.sign_count += 1
        flags = FLAG_UP | (FLAG_UV if self.user_verified else 0)
        auth_data = (
            hashlib.sha256(credential.rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", credential.sign_count)
        )
        client_data = _client_data(
            "webauthn.get", challenge or opts["challenge"], origin or self.origin
        )
        signature = credential.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": credential.id,
            "rawId": credential.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }

    def _pick(self, opts: dict[str, Any], rp_id: str, credential_id: str | None) -> SoftCredential:
        if credential_id is not None:
            return self.credentials[credential_id]
        allowed = [c["id"] for c in opts.get("allowCredentials") or []]
        for cid, credential in self.credentials.items():
            if credential.rp_id == rp_id and (not allowed or cid in allowed):
                return credential
        raise NotAllowedError("no credential of this authenticator is allowed")


# ---- tampering helpers, for negative tests --------------------------------------------------


def tamper_signature(assertion: dict[str, Any]) -> dict[str, Any]:
    """The same assertion with one bit of the signature's last byte flipped (DER stays valid)."""
    signature = bytearray(b64url_decode(assertion["response"]["signature"]))
    signature[-1] ^= 0x01
    response = {**assertion["response"], "signature": b64url(bytes(signature))}
    return {**assertion, "response": response}
