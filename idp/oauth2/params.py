"""Request hygiene for every protocol endpoint, before Authlib sees the request.

RFC 6749 section 3.1 and 3.2: "Request and response parameters MUST NOT be included more than once."
Parameters sent without a value are treated as omitted; unknown ones are ignored. A body that is not a
form, is not UTF-8, or carries an oversized value gets ``invalid_request`` rather than a 500.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError
from flask import request
from werkzeug.datastructures import Authorization

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_VALUE_LENGTH = 2048
# JWTs travel in these: an id_token_hint, a client assertion, a token being revoked or introspected.
LONG_VALUES = {
    "id_token_hint": 8192,
    "client_assertion": 8192,
    "token": 8192,
    "claims": 4096,
    "authorization_details": 4096,  # RFC 9396: a JSON array
}
# RFC 6749 section 5.2: error_description uses only these characters, and Authlib raises ValueError (a 500)
# rather than build an error whose description breaks the rule. Authlib quotes these two values in its
# descriptions, so they are refused here when they hold anything else; a parameter name we quote is masked.
ERROR_SAFE = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
QUOTED_BY_AUTHLIB = ("redirect_uri", "response_type")


def _quotable(text: str) -> str:
    """``text`` with every character an error description may not carry replaced by '?'."""
    return "".join(char if ERROR_SAFE.fullmatch(char) else "?" for char in text[:64])


def _strict_utf8(raw: bytes) -> None:
    for pair in raw.split(b"&"):
        try:
            unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidRequestError("Parameters must be UTF-8.") from error


def _check_values(values: dict[str, list[str]]) -> None:
    for name, items in values.items():
        non_empty = [item for item in items if item != ""]
        if len(non_empty) > 1:
            raise InvalidRequestError(f"Parameter '{_quotable(name)}' is included more than once.")
        if any(len(item) > LONG_VALUES.get(name, MAX_VALUE_LENGTH) for item in items):
            raise InvalidRequestError(f"Parameter '{_quotable(name)}' is too long.")
        if any("\x00" in item for item in items):
            raise InvalidRequestError(f"Parameter '{_quotable(name)}' contains a NUL character.")
        if name in QUOTED_BY_AUTHLIB and not all(ERROR_SAFE.fullmatch(item) for item in items):
            raise InvalidRequestError(f"Parameter '{name}' contains characters that are not allowed.")


def _combined() -> dict[str, list[str]]:
    combined: dict[str, list[str]] = {}
    for source in (request.args, request.form):
        for name in source:
            combined.setdefault(name, []).extend(source.getlist(name))
    return combined


def check_query_request() -> None:
    """A GET to the authorization, userinfo or logout endpoint."""
    _strict_utf8(request.query_string)
    _check_values(_combined())


def check_form_request() -> None:
    """A POST that must be a form (token, revocation, introspection, authorization by POST)."""
    if request.mimetype != FORM_TYPE:
        raise InvalidRequestError(f"Send parameters as {FORM_TYPE}.")
    _strict_utf8(request.query_string)
    check_form_body(request.get_data(cache=True), _combined(), request.form, request.headers.get("Authorization"))


def check_form_body(raw: bytes, values: dict[str, list[str]], form: Any, authorization: str | None) -> None:
    """The checks on a form's body and its client authentication, for the Flask views and for
    ``idp.oauth2.fast_path`` (which parses the same body the same way, without a query string):
    ``values`` holds every parameter's values, ``form`` the body's parameters, ``authorization`` the
    Authorization header."""
    _strict_utf8(raw)
    _check_values(values)
    _check_basic_credentials(authorization or "")
    if Authorization.from_header(authorization) is not None and form.get("client_assertion"):
        raise InvalidRequestError("Use one client authentication method, not several.")
    if Authorization.from_header(authorization) is not None and form.get("client_secret"):
        raise InvalidRequestError("Use one client authentication method, not several.")


def _check_basic_credentials(header: str) -> None:
    """RFC 6749 section 2.3.1: HTTP Basic credentials are UTF-8 before base64. Authlib answers base64 that
    does not decode as a failed client authentication, but raises (a 500) on bytes that are not UTF-8:
    answer those the same way."""
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic":
        return
    try:
        base64.b64decode(credentials.strip()).decode("utf-8")
    except (binascii.Error, ValueError) as error:  # UnicodeDecodeError is a ValueError
        raise InvalidClientError(description="Client credentials must be UTF-8.", status_code=401) from error


def first_values() -> dict[str, str]:
    """Each parameter's value, with empty values treated as omitted (RFC 6749 section 3.1)."""
    return {name: items[0] for name, items in _combined().items() if items and items[0] != ""}
