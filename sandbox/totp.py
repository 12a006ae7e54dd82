"""TOTP (RFC 6238) as a virtual MFA device computes it: HMAC-SHA1 over the 30-second counter.

IAM's virtual MFA devices hand out a Base32 seed (`Base32StringSeed`); authenticator apps turn it
into a 6-digit code that changes every 30 seconds. Written out with hmac/hashlib (RFC 4226's
dynamic truncation), so the sandbox depends on no OTP library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

STEP = 30  # seconds per code (RFC 6238's X)
DIGITS = 6  # what IAM's virtual MFA devices show


def _key(seed: str | bytes) -> bytes:
    """The secret behind a Base32 seed; spaces and lower case (as apps accept them) allowed."""
    text = seed.decode("ascii") if isinstance(seed, bytes) else seed
    text = text.replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def counter(at: float | None = None) -> int:
    """The 30-second step number at Unix time `at` (now by default)."""
    return int((time.time() if at is None else at) // STEP)


def hotp(seed: str | bytes, count: int, digits: int = DIGITS) -> str:
    """RFC 4226's HOTP value for the counter `count`, zero-padded to `digits`."""
    digest = hmac.new(_key(seed), struct.pack(">Q", count), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def code(seed: str | bytes, at: float | None = None, *, digits: int = DIGITS) -> str:
    """The code a device with this Base32 seed shows at Unix time `at` (now by default)."""
    return hotp(seed, counter(at), digits)


def matching_counters(
    seed: str | bytes, given: str, at: float | None = None, window: int = 1
) -> list[int]:
    """The steps within `window` steps of `at`'s whose code is `given`, earliest first.

    Usually none or one; a verifier that remembers used steps refuses a replay with them.
    """
    if not (given.isascii() and given.isdigit() and given):
        return []
    now = counter(at)
    return [
        step
        for step in range(now - window, now + window + 1)
        if hmac.compare_digest(hotp(seed, step, len(given)), given)
    ]


def verify(seed: str | bytes, given: str, at: float | None = None, window: int = 1) -> bool:
    """Is `given` the device's code at `at`, give or take `window` steps (clock drift)?"""
    return bool(matching_counters(seed, given, at, window))
