"""Public ids: a type prefix and a random part, never a sequence that leaks volume."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_public_id(prefix: str, length: int = 22) -> str:
    """`prefix_` + `length` base62 characters (22 → ~131 bits of randomness)."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))
