"""Public ids: a type prefix and a time-ordered random part, so ids sort by creation."""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def _b32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


_RANDOM_BITS = 80
_lock = threading.Lock()
_last = (0, 0)
"""The milliseconds and random part of the last id this process made."""


def new_id(prefix: str) -> str:
    """`ord_01h...`: 48 bits of milliseconds then 80 random bits (ULID layout).

    Within one process the ids keep increasing even when several are made in the same
    millisecond (or the clock steps back): the random part of the previous id is incremented,
    as in ULID's monotonic mode. Orders accepted in one batch then sort in arrival order."""
    global _last
    with _lock:
        millis = time.time_ns() // 1_000_000
        last_millis, last_random = _last
        if millis > last_millis:
            random = int.from_bytes(os.urandom(_RANDOM_BITS // 8))
        elif last_random + 1 < 1 << _RANDOM_BITS:
            millis, random = last_millis, last_random + 1
        else:
            millis, random = last_millis + 1, int.from_bytes(os.urandom(_RANDOM_BITS // 8))
        _last = (millis, random)
    return f"{prefix}_{_b32(millis, 10)}{_b32(random, 16)}"
