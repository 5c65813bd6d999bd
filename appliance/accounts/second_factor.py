"""The second factor: TOTP codes (pyotp) that work once, recovery codes, and the enrolment QR code made on the
box (segno, as SVG markup: nothing is fetched). Also the random tokens of sessions, API tokens and setup links,
which are stored only as digests."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pyotp
import segno

ISSUER = "Receptionist"
STEP_S = 30  # a TOTP code's time step
DRIFT_STEPS = 1  # a code of the step before or after is accepted too (a phone's clock a little off)
RECOVERY_CODES = 10
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def new_secret() -> str:
    """A new random TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str, box: str) -> str:
    """The otpauth:// link an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=f"{username}@{box}", issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of a link as inline SVG markup (no script, no style attribute)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff"))


def matching_step(secret: str, code: str, now: float, last_step: int | None) -> int | None:
    """The time step a 6-digit code belongs to (now, or one step either side), if it is later than `last_step`
    (a code, or an older one, never works twice); None if it does not match."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now // STEP_S)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(totp.at(step * STEP_S), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten one-time recovery codes, like 'k7wq-9dfe-m3xa-p2rt' (80 bits each)."""
    return ["-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(4))
            for _ in range(RECOVERY_CODES)]


def normalized_code(code: str) -> str:
    """A recovery code as typed, reduced to its letters and digits, lowercase."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


def digest(token: str) -> str:
    """What is stored of a random token or code: its SHA-256, hex (the tokens are too random to guess)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(prefix: str = "") -> str:
    """A new random token (256 bits, URL-safe), with an optional prefix that says what it is."""
    return prefix + secrets.token_urlsafe(32)
