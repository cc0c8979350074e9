"""Public ids: a type prefix and a random part, never a sequence that leaks volume."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_public_id(prefix: str, length: int = 22) -> str:
    """`prefix_` + `length` base62 characters (22 → ~131 bits of randomness)."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def looks_like_public_id(value: str, prefix: str) -> bool:
    """Whether `value` could be one of our ids: cheap to check, and it keeps text a database
    cannot hold (NUL) away from queries."""
    body = value.removeprefix(f"{prefix}_")
    return body != value and 0 < len(body) <= 40 and all(c in _ALPHABET for c in body)
