"""Second factors for admins: TOTP (pyotp) with recovery codes, and passkeys (webauthn).

Secrets are stored in Authenticator rows (encrypted at rest); passkeys keep only public
credential data. Every enrolment and every use records an event.
"""

import base64
import hashlib
import io
import json
import secrets
from typing import Any

import pyotp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from orgdesk.security.models import Authenticator, recovery_codes_identifier

STRONG_TYPES = (
    Authenticator.Type.TOTP,
    Authenticator.Type.PASSKEY,
    Authenticator.Type.SECURITY_KEY,
)
RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "Orgdesk"


class MfaError(ValueError):
    """A code or credential was not accepted; the message is safe to show."""


def second_factors(account: Any) -> list[Authenticator]:
    return list(
        Authenticator.objects.filter(account=account, type__in=STRONG_TYPES, confirmed=True)
    )


def has_second_factor(account: Any) -> bool:
    return Authenticator.objects.filter(
        account=account, type__in=STRONG_TYPES, confirmed=True
    ).exists()


# ---- TOTP ------------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(account: Any, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=account.primary_identifier, issuer_name=TOTP_ISSUER
    )


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def _totp_matches(secret: str, code: str, last_counter: int | None) -> int | None:
    """The time step the code belongs to (±1 step of drift), unless already used."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = timezone.now()
    counter = totp.timecode(now)
    for step in (counter, counter - 1, counter + 1):
        if last_counter is not None and step <= last_counter:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def totp_enrolment_step(secret: str, code: str) -> int:
    """The time step the first code of a new authenticator app matches (kept so the code
    cannot be replayed); MfaError when it matches none."""
    step = _totp_matches(secret, code, None)
    if step is None:
        raise MfaError(
            gettext("That code is not valid. Check the time on your device and try again.")
        )
    return step


@transaction.atomic
def verify_totp(*, account: Any, code: str) -> bool:
    for authenticator in Authenticator.objects.select_for_update().filter(
        account=account, type=Authenticator.Type.TOTP, confirmed=True
    ):
        step = _totp_matches(
            authenticator.secret, code, authenticator.credential.get("last_counter")
        )
        if step is not None:
            authenticator.credential = {**authenticator.credential, "last_counter": step}
            authenticator.last_used = timezone.now()
            authenticator.save(update_fields=["credential", "last_used", "updated"])
            return True
    return False


# ---- recovery codes --------------------------------------------------------------------------


def _hash_code(code: str) -> str:
    # Codes carry 50 random bits and are single-use; a salted slow hash would add nothing.
    normalized = code.replace("-", "").replace(" ", "").lower()
    return hashlib.sha256(normalized.encode()).hexdigest()


def new_recovery_codes() -> tuple[list[str], str]:
    """Fresh codes, and what to store of them (their hashes, as the Authenticator secret)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = [
        "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    return codes, json.dumps([_hash_code(c) for c in codes])


@transaction.atomic
def use_recovery_code(*, account: Any, code: str) -> bool:
    row = (
        Authenticator.objects.select_for_update()
        .filter(account=account, type=Authenticator.Type.RECOVERY_CODES)
        .first()
    )
    if row is None or not code:
        return False
    hashes = json.loads(row.secret or "[]")
    digest = _hash_code(code)
    match = next((h for h in hashes if secrets.compare_digest(h, digest)), None)
    if match is None:
        return False
    hashes.remove(match)
    row.secret = json.dumps(hashes)
    row.identifier = recovery_codes_identifier(len(hashes))
    row.last_used = timezone.now()
    row.save(update_fields=["secret", "identifier", "last_used", "updated"])
    return True


# ---- passkeys (WebAuthn) ---------------------------------------------------------------------


def _origin() -> str:
    return settings.ORGDESK_PUBLIC_URL


def _credentials(account: Any) -> list[Authenticator]:
    return list(
        Authenticator.objects.filter(
            account=account,
            type__in=(Authenticator.Type.PASSKEY, Authenticator.Type.SECURITY_KEY),
            confirmed=True,
        )
    )


def passkey_registration_options(account: Any) -> tuple[str, str]:
    """(options JSON for navigator.credentials.create, challenge to keep in the session)."""
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.WEBAUTHN_RP_NAME,
        user_id=account.pk.bytes,
        user_name=account.primary_identifier,
        user_display_name=account.get_full_name() or account.primary_identifier,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(a.credential["credential_id"]))
            for a in _credentials(account)
        ],
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def passkey_credential(response: str | dict[str, Any], challenge: str) -> dict[str, Any]:
    """The credential a registration response proves (what a passkey Authenticator keeps);
    MfaError when it is refused or registered already."""
    try:
        verified = verify_registration_response(
            credential=response,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=_origin(),
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise MfaError(gettext("The passkey could not be registered. Try again.")) from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if Authenticator.objects.filter(
        type__in=(Authenticator.Type.PASSKEY, Authenticator.Type.SECURITY_KEY),
        credential__credential_id=credential_id,
    ).exists():
        raise MfaError(gettext("This passkey is already registered."))
    return {
        "credential_id": credential_id,
        "public_key": base64.b64encode(verified.credential_public_key).decode(),
        "sign_count": verified.sign_count,
        "aaguid": verified.aaguid,
    }


def passkey_authentication_options(account: Any) -> tuple[str, str]:
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(a.credential["credential_id"]))
            for a in _credentials(account)
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


@transaction.atomic
def verify_passkey(*, account: Any, response: str | dict[str, Any], challenge: str) -> bool:
    try:
        data = json.loads(response) if isinstance(response, str) else response
        raw_id = data["rawId"] if "rawId" in data else data["id"]
    except (ValueError, KeyError, TypeError):
        return False
    row = (
        Authenticator.objects.select_for_update()
        .filter(
            account=account,
            type__in=(Authenticator.Type.PASSKEY, Authenticator.Type.SECURITY_KEY),
            credential__credential_id=raw_id,
        )
        .first()
    )
    if row is None:
        return False
    try:
        verified = verify_authentication_response(
            credential=data,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=_origin(),
            credential_public_key=base64.b64decode(row.credential["public_key"]),
            credential_current_sign_count=row.credential.get("sign_count", 0),
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return False
    row.credential = {**row.credential, "sign_count": verified.new_sign_count}
    row.last_used = timezone.now()
    row.save(update_fields=["credential", "last_used", "updated"])
    return True
