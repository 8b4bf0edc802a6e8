"""RFC 9470 (OAuth 2.0 Step Up Authentication Challenge) for resource servers and the clients of them.

A partner's own API, like Logbook's vault API, can refuse a token whose sign-in is too weak or too old:

    if not good_enough(claims):
        body, status, headers = step_up_challenge("health needs a second factor", acr_values=TWO_FACTOR, max_age=900)
        return jsonify(body), status, headers

and a client reading such an answer learns what to ask the authorization server for next:

    challenge = parse_bearer_challenge(response.headers["WWW-Authenticate"])
    if challenge.get("error") == INSUFFICIENT_USER_AUTHENTICATION: ...authorize again with acr_values, max_age
"""

from __future__ import annotations

import re
from typing import Any

INSUFFICIENT_USER_AUTHENTICATION = "insufficient_user_authentication"
_PARAM = re.compile(r'([A-Za-z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def bearer_challenge(error: str | None = None, description: str = "", **params: Any) -> str:
    """A ``WWW-Authenticate: Bearer ...`` value (RFC 6750 section 3); ``max_age`` is a bare integer
    (RFC 9470 section 3), every other parameter a quoted string; None values are left out."""
    parts = [f'{name}="{_quoted(str(value))}"' for name, value in params.items() if name == "realm" and value]
    if error:
        parts.append(f'error="{_quoted(error)}"')
    if description:
        parts.append(f'error_description="{_quoted(description)}"')
    for name, value in params.items():
        if value is None or name == "realm":
            continue
        parts.append(f"{name}={int(value)}" if name == "max_age" else f'{name}="{_quoted(str(value))}"')
    return "Bearer " + ", ".join(parts) if parts else "Bearer"


def step_up_challenge(
    description: str, acr_values: str | None = None, max_age: int | None = None, realm: str | None = None
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """(JSON body, 401, headers) for a token whose authentication falls short (RFC 9470 section 3)."""
    header = bearer_challenge(
        INSUFFICIENT_USER_AUTHENTICATION, description, realm=realm, acr_values=acr_values, max_age=max_age
    )
    body: dict[str, Any] = {"error": INSUFFICIENT_USER_AUTHENTICATION, "error_description": description}
    body.update({name: value for name, value in (("acr_values", acr_values), ("max_age", max_age)) if value})
    return body, 401, {"WWW-Authenticate": header, "Cache-Control": "no-store"}


def parse_bearer_challenge(header: str | None) -> dict[str, str]:
    """The parameters of a Bearer challenge (``{}`` when the header is not one); ``max_age`` stays text."""
    scheme, _, rest = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return {}
    return {name: quoted.replace('\\"', '"') if quoted else bare for name, quoted, bare in _PARAM.findall(rest)}
