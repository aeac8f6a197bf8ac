"""Short identifiers for organization paths."""

import secrets

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
KEY_LENGTH = 8


def new_key() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(KEY_LENGTH))


def key_from_int(number: int) -> str:
    """Deterministic key (used by the generator): base36, padded to KEY_LENGTH."""
    out = []
    while number:
        number, rem = divmod(number, 36)
        out.append(ALPHABET[rem])
    return "".join(reversed(out)).rjust(KEY_LENGTH, "0")[-KEY_LENGTH:]
