"""Authentication levels (``acr``) and identity levels, ordered from weakest to strongest.

The ``acr`` values are the ones published in discovery as ``acr_values_supported``; ``amr`` values are
RFC 8176 method references.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    value: str
    rank: int
    name: str


ACR_PASSWORD = Level("urn:logbook:acr:password", 1, "Password only")
ACR_TWO_FACTOR = Level("urn:logbook:acr:two-factor", 2, "Password and a second factor")
ACR_PASSKEY = Level("urn:logbook:acr:passkey", 3, "Passkey (phishing-resistant)")
AUTHENTICATION_LEVELS = (ACR_PASSWORD, ACR_TWO_FACTOR, ACR_PASSKEY)

IDENTITY_SELF_ASSERTED = Level("self-asserted", 1, "Self-asserted")
IDENTITY_VERIFIED_REMOTE = Level("verified-remote", 2, "Verified remotely")
IDENTITY_VERIFIED_IN_PERSON = Level("verified-in-person", 3, "Verified in person by a council officer")
IDENTITY_LEVELS = (IDENTITY_SELF_ASSERTED, IDENTITY_VERIFIED_REMOTE, IDENTITY_VERIFIED_IN_PERSON)

_BY_VALUE = {level.value: level for level in AUTHENTICATION_LEVELS + IDENTITY_LEVELS}


def level_for(value: str) -> Level | None:
    return _BY_VALUE.get(value)


def acr_rank(value: str | None) -> int:
    level = _BY_VALUE.get(value or "")
    return level.rank if level and level in AUTHENTICATION_LEVELS else 0


def meets(actual_acr: str | None, required_acr: str | None) -> bool:
    """Whether a session or token at ``actual_acr`` satisfies a requirement of ``required_acr``."""
    return required_acr is None or acr_rank(actual_acr) >= acr_rank(required_acr)


def stronger(first: str | None, second: str | None) -> str | None:
    """The stronger of two acr values (the first when they are equal)."""
    return second if acr_rank(second) > acr_rank(first) else first


# RFC 8176 authentication method references used in ``amr``.
AMR_PASSWORD = "pwd"
AMR_OTP = "otp"  # TOTP codes and, as one-time look-up secrets, recovery codes
AMR_HARDWARE_KEY = "hwk"  # a device-bound passkey (security key, platform authenticator without sync)
AMR_SOFTWARE_KEY = "swk"  # a synced passkey: the private key can leave the device through a backup
AMR_USER = "user"  # the authenticator verified the person (PIN or biometric), WebAuthn's UV flag
